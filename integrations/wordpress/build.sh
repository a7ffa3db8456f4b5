#!/usr/bin/env bash
# Builds the installable plugin zip: integrations/wordpress/dist/consent-service.zip
# (one top-level folder, consent-service/, as WordPress expects). Regenerates the
# translation template first when xgettext is there. Needs python3 only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugin="$here/consent-service"
dist="$here/dist"

if command -v xgettext >/dev/null 2>&1; then
    (cd "$plugin" && find . -name '*.php' -o -name '*.js' | LC_ALL=C sort | xgettext \
        --files-from=- --from-code=UTF-8 --language=PHP --output=languages/consent-service.pot \
        --package-name="Consent Service" --package-version=0.1.0 --add-comments=translators: \
        --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e \
        --keyword=esc_attr__ --keyword=esc_attr_e --keyword=_x:1,2c --keyword=_n:1,2 \
        --sort-by-file --no-wrap 2>/dev/null) \
        && sed -i '/^"POT-Creation-Date:/d' "$plugin/languages/consent-service.pot"
fi

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
