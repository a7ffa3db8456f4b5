#!/usr/bin/env bash
# Gets a WordPress 6.5 wp-includes (HTML API only) from the npm registry's
# @wp-playground/wordpress-builds package, for test_unit_rewrite_with_wordpress_html_api and
# bench_buffer.php (Debian's WordPress is 6.1, which has no usable HTML API).
#   integrations/wordpress/tests/fetch-html-api.sh DIR   # then WP_HTML_API_DIR=DIR/wp-includes
set -euo pipefail
dest="${1:?usage: fetch-html-api.sh DIR}"
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @wp-playground/wordpress-builds@0.9.19 >/dev/null)
tar -xzf "$tmp"/wp-playground-wordpress-builds-0.9.19.tgz -C "$tmp" package/src/wordpress/wp-6.5.zip
(cd "$dest" && unzip -q -o "$tmp/package/src/wordpress/wp-6.5.zip" 'wp-includes/html-api/*' 'wp-includes/version.php')
echo "$dest/wp-includes"
