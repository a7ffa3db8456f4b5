"""Static checks of the WordPress plugin: `php -l`, PHP_CodeSniffer, unit checks in PHP,
block metadata, and the installable zip.

PHP_CodeSniffer runs with integrations/wordpress/phpcs.xml.dist: the WordPress coding style
as far as Debian's php-codesniffer can check it (the WordPress Coding Standards themselves
are on Packagist, which this project cannot reach).
Skips when php or phpcs are missing, unless CI is set (then it fails).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
WP_DIR = HERE.parent
PLUGIN = WP_DIR / "consent-service"
PHP_FILES = sorted([*PLUGIN.rglob("*.php"), *(HERE / "fixtures").rglob("*.php")])
LANGUAGES = PLUGIN / "languages"
PO_FILES = sorted(LANGUAGES.glob("consent-service-*.po"))
_spec = importlib.util.spec_from_file_location("wordpress_i18n", WP_DIR / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(i18n)
read_po = i18n.read_po


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"{tool} not installed (Debian {package}; scripts/install-wordpress-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.mark.parametrize("path", PHP_FILES, ids=lambda p: str(p.relative_to(WP_DIR)))
def test_php_syntax(path):
    php = need("php", "php-cli")
    res = subprocess.run([php, "-l", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


def test_phpcs_wordpress_style():
    phpcs = need("phpcs", "php-codesniffer")
    res = subprocess.run([phpcs, "--standard=phpcs.xml.dist", "--report=full", "-q"],
                         cwd=WP_DIR, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_unit_matching_marking_and_validation():
    php = need("php", "php-cli")
    res = subprocess.run([php, str(HERE / "fixtures" / "unit.php"), str(PLUGIN)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout)
    assert out["services"] == {"google-analytics": "analytics", "facebook-pixel": "marketing"}
    assert out["rules"] == 2  # the malformed rule is dropped
    a, m = "analytics", "marketing"
    assert out["categories"] == [
        a, a, a,        # gtag/js: absolute, protocol-relative, host case-insensitive
        None, None,     # path case-sensitive; gtm.js is another service
        a, a, None,     # *.google-analytics.com: subdomain, apex, not a look-alike
        m, None, None,  # connect.facebook.net; local script; javascript: URL
        a, a, m,        # handle = service id, id-suffix, id_suffix
        None, None,     # necessary service handle; handle that only starts alike
    ]
    marked = out["marked"]
    assert "<script id='gtag-js-extra'>" in marked  # wp_localize_script data runs as is
    for sid in ("gtag-js-before", "gtag-js", "gtag-js-after"):
        assert "<script type=\"text/plain\" data-category=\"analytics\"" in \
            marked.split(f"id='{sid}'")[0].rsplit("\n", 1)[-1]
    assert "text/javascript" not in marked
    assert 'data-cs-type="module"' in out["module"]
    assert out["urls"] == ["https://consent.example.fi", "http://127.0.0.1:5000",
                           "http://localhost:8080/cs", None, None, None, None, None, None]
    assert out["keys"] == [True, False, False, False, True, False]


def test_block_metadata_and_plugin_header():
    meta = json.loads((PLUGIN / "blocks" / "consent-settings" / "block.json").read_text())
    assert meta["name"] == "consent-service/consent-settings"
    assert meta["textdomain"] == "consent-service"
    assert (PLUGIN / "blocks" / "consent-settings" / "editor.asset.php").exists()
    header = (PLUGIN / "consent-service.php").read_text()[:1500]
    for line in ("Requires at least: 6.1", "Requires PHP:      8.1",
                 "Text Domain:       consent-service"):
        assert line in header
    assert (PLUGIN / "languages" / "consent-service.pot").exists()


def test_editor_script_parses():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed")
    res = subprocess.run([node, "--check", str(PLUGIN / "blocks" / "consent-settings" /
                                               "editor.js")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


def test_translations_exist():
    assert {p.name for p in PO_FILES} >= {"consent-service-fi.po", "consent-service-sv_SE.po"}


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.name)
def test_translation_covers_the_template(po):
    pot = {k for k in read_po(LANGUAGES / "consent-service.pot") if k[1]}
    entries = {k: e["msgstr"] for k, e in read_po(po).items()}
    header = entries[(None, "")][0]
    locale = po.stem.removeprefix("consent-service-")  # WordPress loads <domain>-<locale>.mo
    assert f"Language: {locale}\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header
    missing = sorted(k[1] for k in pot if not all(entries.get(k) or [""]))
    assert not missing, f"{po.name} lacks translations of {missing}"
    placeholder = re.compile(r"%(?:\d+\$)?[sdf]")
    for key in pot:
        for msgstr in entries[key]:
            assert sorted(placeholder.findall(msgstr)) == sorted(placeholder.findall(key[1])), \
                (po.name, key[1], msgstr)


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.name)
def test_committed_mo_is_up_to_date(po, tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt not installed (Debian gettext)")
    out = tmp_path / "out.mo"
    res = subprocess.run([msgfmt, "--check", f"--output-file={out}", str(po)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == po.with_suffix(".mo").read_bytes(), \
        f"{po.with_suffix('.mo').name} is stale: run build.sh"


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.name)
def test_block_editor_translations_are_up_to_date(po):
    """The block editor reads its strings from JSON, not from the .mo: one file per locale,
    named for the script handle WordPress gives the block's editorScript."""
    doc = json.loads(i18n.json_path(po).read_text(encoding="utf-8"))
    assert i18n.json_path(po).read_text(encoding="utf-8") == i18n.render(po), \
        f"{i18n.json_path(po).name} is stale: run build.sh"
    messages = doc["locale_data"]["messages"]
    editor_js = (PLUGIN / "blocks" / "consent-settings" / "editor.js").read_text()
    used = set(re.findall(r"__\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'consent-service'", editor_js))
    assert used and used == set(messages) - {""}
    assert all(messages[m][0] and messages[m][0] != m for m in used if m != "Consent Service")
    assert messages[""]["lang"] == po.stem.removeprefix("consent-service-")
    handle = "consent-service-consent-settings-editor-script"
    assert handle in (PLUGIN / "includes" / "class-consent-service-settings-button.php").read_text()


def test_build_makes_an_installable_zip(tmp_path):
    res = subprocess.run(["bash", str(WP_DIR / "build.sh")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    with zipfile.ZipFile(WP_DIR / "dist" / "consent-service.zip") as z:
        names = z.namelist()
        assert all(n.startswith("consent-service/") for n in names)
        for required in ("consent-service.php", "uninstall.php", "readme.txt",
                         "blocks/consent-settings/block.json", "languages/consent-service.pot",
                         "languages/consent-service-fi.mo",
                         "languages/consent-service-sv_SE-consent-service-consent-settings-"
                         "editor-script.json",
                         "languages/consent-service-sv_SE.mo"):
            assert "consent-service/" + required in names
        z.extractall(tmp_path)
    assert (tmp_path / "consent-service" / "consent-service.php").read_bytes() == \
        (PLUGIN / "consent-service.php").read_bytes()
