"""Translations of the plugin: read .po/.pot files and write the block editor's JSON.

WordPress loads a script's translations from `<domain>-<locale>-<handle>.json` in the folder
given to wp_set_script_translations (Jed 1.x format, what `wp i18n make-json` writes). The
.mo files only reach PHP's __(); without these files the block editor showed English.
Run by build.sh; the tests check that the committed files are up to date.

    python3 i18n.py   # rewrites languages/*.json from languages/*.po
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

PLUGIN = Path(__file__).resolve().parent / "consent-service"
LANGUAGES = PLUGIN / "languages"
DOMAIN = "consent-service"
# The handle WordPress gives the block's editorScript: <block name with / as ->-editor-script.
EDITOR_HANDLE = "consent-service-consent-settings-editor-script"


def read_po(path: Path) -> dict[tuple[str | None, str], dict]:
    """(msgctxt, msgid) -> {"msgstr": [...], "refs": [...]} of a .po/.pot file; fuzzy
    entries count as untranslated. Enough of the format for what xgettext and translators
    write here."""
    entries: dict[tuple[str | None, str], dict] = {}
    fields: dict[str, str] = {}
    refs: list[str] = []
    key = None
    fuzzy = False

    def flush():
        nonlocal fields, fuzzy, refs
        if "msgid" in fields:
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries[(fields.get("msgctxt"), fields["msgid"])] = {
                "msgstr": [] if fuzzy else strs, "refs": refs}
        fields, fuzzy, refs = {}, False, []

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            flush()
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#:"):
            refs += [ref.rpartition(":")[0] for ref in line[2:].split()]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            if key == "msgctxt" or (key == "msgid" and "msgid" in fields):
                flush()
            fields[key] = ast.literal_eval(value)
    return entries


def script_json(po: Path, pot: Path, script: str) -> dict:
    """The Jed document of the strings that `script` (a path inside the plugin) uses."""
    locale = po.stem.removeprefix(DOMAIN + "-")
    translations = read_po(po)
    header = translations[(None, "")]["msgstr"][0]
    plural = next((line.split(":", 1)[1].strip() for line in header.splitlines()
                   if line.startswith("Plural-Forms:")), "nplurals=2; plural=(n != 1);")
    messages: dict = {"": {"domain": "messages", "lang": locale, "plural-forms": plural}}
    for key, entry in read_po(pot).items():
        if script in entry["refs"] and translations.get(key, {}).get("msgstr"):
            msgid = key[1] if key[0] is None else f"{key[0]}\x04{key[1]}"
            messages[msgid] = translations[key]["msgstr"]
    return {"domain": "messages", "source": script, "locale_data": {"messages": messages}}


def json_path(po: Path) -> Path:
    locale = po.stem.removeprefix(DOMAIN + "-")
    return LANGUAGES / f"{DOMAIN}-{locale}-{EDITOR_HANDLE}.json"


def render(po: Path) -> str:
    doc = script_json(po, LANGUAGES / f"{DOMAIN}.pot", "blocks/consent-settings/editor.js")
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> None:
    for po in sorted(LANGUAGES.glob(f"{DOMAIN}-*.po")):
        json_path(po).write_text(render(po), encoding="utf-8")
        print(json_path(po).relative_to(PLUGIN.parent), file=sys.stderr)


if __name__ == "__main__":
    main()
