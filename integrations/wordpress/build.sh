#!/usr/bin/env bash
# Builds the installable plugin zip: integrations/wordpress/dist/consent-service.zip
# (one top-level folder, consent-service/, as WordPress expects). Regenerates the
# translation template first when xgettext is there. Needs python3 only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugin="$here/consent-service"
dist="$here/dist"

if command -v xgettext >/dev/null 2>&1; then
    pot="languages/consent-service.pot"
    keywords=(--keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e
              --keyword=esc_attr__ --keyword=esc_attr_e --keyword=_x:1,2c --keyword=_n:1,2)
    (
        cd "$plugin"
        find . -name '*.php' | LC_ALL=C sort | xgettext --files-from=- --language=PHP \
            --from-code=UTF-8 --output="$pot" --package-name="Consent Service" \
            --package-version=0.1.0 --add-comments=translators: --sort-by-file --no-wrap \
            "${keywords[@]}"
        find . -name '*.js' | LC_ALL=C sort | xgettext --files-from=- --language=JavaScript \
            --from-code=UTF-8 --output="$pot" --join-existing --sort-by-file --no-wrap \
            "${keywords[@]}"
        sed -i -e '/^"POT-Creation-Date:/d' -e 's/charset=CHARSET/charset=UTF-8/' "$pot"
    )
fi
# Compiled translations (.mo) are committed; rebuild them when msgfmt is there.
if command -v msgfmt >/dev/null 2>&1; then
    for po in "$plugin"/languages/*.po; do
        [ -e "$po" ] && msgfmt --check --output-file="${po%.po}.mo" "$po"
    done
fi

# The block editor's translations (JSON, from the .po files).
python3 "$here/i18n.py"

mkdir -p "$dist"
python3 - "$plugin" "$dist/consent-service.zip" <<'PY'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            if name.startswith(".") or name.endswith("~"):
                continue
            path = os.path.join(root, name)
            arc = os.path.join("consent-service", os.path.relpath(path, src))
            info = zipfile.ZipInfo(arc, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read())
os.replace(tmp, out)
print(out)
PY
