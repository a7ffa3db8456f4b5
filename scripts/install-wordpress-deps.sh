#!/usr/bin/env bash
# Installs what the WordPress plugin's end-to-end test and lint need, from Debian's
# packages only (apt-get). Idempotent: does nothing when everything is already there.
#   wordpress                       WordPress core in /usr/share/wordpress (6.1 in bookworm)
#   wordpress-theme-twentytwentythree  a theme for the test site (the package's recommendation)
#   php-cli php-mysql php-curl php-xml php-mbstring   PHP for `php -S`, wp_install(), wp_remote_get()
#   php-codesniffer                 phpcs for the lint test
#   mariadb-client                  (pulled in by wordpress) the mysql client
# Services are not started by the packages' scripts where policy-rc.d forbids it (containers).
set -euo pipefail

PACKAGES=(wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-curl php-xml
          php-mbstring php-codesniffer)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-wordpress-deps: all present (${PACKAGES[*]})"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

echo "install-wordpress-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mtime -1 2>/dev/null | head -n 1)" ]; then
    $SUDO apt-get update -q
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
php --version | head -n 1
