#!/usr/bin/env bash
# Installs what the service and its tests need: the Python env, the banner build, Chromium.
# Idempotent; safe to run on every start.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=.venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  # Exact versions from the lock file; then the project itself (its ranges already met).
  .venv/bin/pip install -q -r requirements.lock
  .venv/bin/pip install -q --no-deps -e .
  rm -f .venv/.installed-* && touch "$stamp"
fi

# The banner bundle is built from source, never committed.
if command -v npm >/dev/null; then
  lockhash=$(sha256sum banner_js/package-lock.json | cut -c1-16)
  if [ ! -f "banner_js/node_modules/.installed-$lockhash" ]; then
    (cd banner_js && npm ci --no-audit --no-fund --loglevel=error && touch "node_modules/.installed-$lockhash")
  fi
  (cd banner_js && npm run --silent build)
else
  echo "bootstrap: npm not found; install Node.js 20+ to build the banner" >&2
  exit 1
fi

# The notice analyzer's Finnish morphology: Debian's libvoikko1 + voikko-fi.
if [ ! -d /usr/lib/voikko ] && [ ! -d /usr/share/voikko ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvoikko1 voikko-fi >/dev/null
fi

# Browser tests and site scans use Debian's Chromium (no browser downloads).
if [ ! -x /usr/bin/chromium ] && [ "${SKIP_CHROMIUM_INSTALL:-}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "bootstrap: /usr/bin/chromium missing; run: sudo apt-get install chromium" >&2
  fi
fi
