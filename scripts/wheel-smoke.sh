#!/usr/bin/env bash
# The wheel is the product: build it from this checkout, install it into a fresh venv in a
# directory outside the checkout, and run it there as a user would, with no CONSENT_* path
# set: migrate, create a site from a notice, analyse a notice, serve, and fetch the loader
# with the banner bundle the wheel carries. Called by .ci/run; runs alone too.
#   scripts/wheel-smoke.sh [PORT]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
port=${1:-5187}
PY=${PYTHON:-python3}
work=$(mktemp -d /tmp/consent-wheel.XXXXXX)
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill "$server" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "wheel-smoke: FAIL: $*" >&2; [ -f "$work/serve.log" ] && tail -n 40 "$work/serve.log" >&2; exit 1; }
ok() { echo "wheel-smoke: ok: $*"; }

# 1. Build, with the fresh venv's pip: the build backend runs the banner build when its
# output is missing or stale.
"$PY" -m venv "$work/venv"
"$work/venv/bin/pip" wheel -q --no-deps -w "$work/dist" "$repo" >/dev/null
wheel=$(ls "$work"/dist/consent_service-*.whl)
"$work/venv/bin/python" -m zipfile -l "$wheel" >"$work/wheel-files.txt"
grep -q "consent_service/banner_dist/loader.min.js" "$work/wheel-files.txt" \
  || fail "the wheel has no banner_dist/loader.min.js"
grep -q "consent_service/migrations/env.py" "$work/wheel-files.txt" \
  || fail "the wheel has no migrations"
ok "built $(basename "$wheel")"

# 2. Install outside the checkout: locked versions, but only what the wheel itself declares
# (-c), so a dependency missing from pyproject.toml fails here instead of hiding behind the lock.
"$work/venv/bin/pip" install -q -c "$repo/requirements.lock" "$wheel"
ok "installed into a fresh venv"

# 3. Run from a directory of its own, without CONSENT_* settings and with a home of its own:
# the instance folder must default to ~/.local/share/consent-service.
mkdir -p "$work/run" "$work/home"
cd "$work/run"
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(CONSENT_[A-Z_]*\)=.*/\1/p')
export HOME="$work/home"
unset XDG_DATA_HOME PYTHONPATH
cs="$work/venv/bin/consent-service"
instance="$HOME/.local/share/consent-service"

where=$("$work/venv/bin/python" -c 'import consent_service; print(consent_service.__file__)')
case "$where" in "$work/venv/"*) ;; *) fail "consent_service imported from $where" ;; esac

# A command before migrating names the fix (one line), not a traceback.
if "$cs" site create --domain early.example.fi >"$work/early.out" 2>&1; then
  fail "site create succeeded on an unmigrated database"
fi
grep -q "consent-service db upgrade" "$work/early.out" || fail "unclear error: $(cat "$work/early.out")"
! grep -q Traceback "$work/early.out" || fail "site create before migrating printed a traceback"
ok "site create before migrating: $(tail -n1 "$work/early.out")"

"$cs" db upgrade >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "db upgrade"; }
[ -f "$instance/consent.db" ] || fail "no database at $instance/consent.db"
ok "migrated $instance/consent.db"

cat >"$work/notice.txt" <<'EOF'
Privacy notice of Smoke Test Bakery

Smoke Test Bakery Oy is the controller of the personal data described here.

Cookies
The shopping cart uses a necessary cookie. With your consent we use Google Analytics to
count visits and to see which pages are read. With your consent we also use the Meta Pixel
to measure our advertising on Facebook and Instagram. You can change your choice at any
time from the cookie settings link at the bottom of every page.
EOF
"$cs" analyze "$work/notice.txt" >"$work/analysis.json"
"$work/venv/bin/python" - "$work/analysis.json" <<'EOF' || fail "analysis: $(head -c 400 "$work/analysis.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["categories"]["analytics"]["used"] and doc["categories"]["marketing"]["used"], doc
names = json.dumps(doc["services"]).lower()
assert "google" in names and "meta" in names, doc["services"]
EOF
ok "analysed a notice (analytics and marketing, Google Analytics and Meta Pixel found)"

site_key=$("$cs" site create --domain smoke.example.fi --notice "$work/notice.txt" --publish \
  | "$work/venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["site_key"])')
ok "site $site_key published"

"$cs" serve --bind "127.0.0.1:$port" --workers 2 >"$work/serve.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
up=""
for _ in $(seq 60); do
  kill -0 "$server" 2>/dev/null || fail "consent-service serve exited"
  if curl -fsS "$base/healthz" >/dev/null 2>&1; then up=1; break; fi
  sleep 1
done
[ -n "$up" ] || fail "/healthz never answered 200"
# No signing key yet: alive and healthy, but not ready.
code=$(curl -s -o "$work/unready.json" -w '%{http_code}' "$base/readyz")
[ "$code" = 503 ] && grep -q signing_key "$work/unready.json" \
  || fail "/readyz without a signing key: $code $(cat "$work/unready.json")"
ok "/readyz before the key: 503 $(cat "$work/unready.json")"
"$cs" keys init >/dev/null   # the chain's signing key: only an explicit command creates it
[ -f "$instance/signing-key.pem" ] || fail "no signing key at $instance/signing-key.pem"
curl -fsS "$base/readyz" >"$work/ready.json" || fail "/readyz after keys init: $(curl -s "$base/readyz")"
ok "/readyz after keys init: $(cat "$work/ready.json")"
grep -q "Listening at: http://127.0.0.1:$port" "$work/serve.log" || fail "gunicorn did not log its address"

curl -fsS -o "$work/loader.js" "$base/loader/$site_key.js" || fail "GET /loader/$site_key.js"
dist=$("$work/venv/bin/python" -c \
  'import consent_service, pathlib; print(pathlib.Path(consent_service.__file__).parent / "banner_dist")')
"$work/venv/bin/python" - "$work/loader.js" "$dist" "$site_key" <<'EOF' || fail "the loader does not carry the wheel's bundle"
import pathlib, sys
served, dist, key = open(sys.argv[1], "rb").read(), pathlib.Path(sys.argv[2]), sys.argv[3]
# The loader is the site's config followed by a built file of the wheel's banner_dist/.
built = [p.name for p in dist.glob("*.js") if served.endswith(p.read_bytes())]
assert built, f"no file of {dist} ends the served loader"
assert key.encode() in served, "site config missing"
print("wheel-smoke: served bundle:", ", ".join(built))
EOF
ok "/loader/$site_key.js serves the wheel's bundle ($(wc -c <"$work/loader.js") bytes)"
curl -fsS "$base/api/v1/sites/$site_key/config" >/dev/null || fail "site config"
curl -fsS "$base/healthz" >/dev/null || fail "/healthz"

# The first-run command from the installed package too (set-up only; serving is tested above).
"$cs" demo --no-serve --port "$port" >"$work/demo.out" || fail "consent-service demo --no-serve"
grep -q "Demo page: http://127.0.0.1:$port/demo/pk_" "$work/demo.out" || fail "demo: $(cat "$work/demo.out")"
ok "consent-service demo --no-serve: demo site and login in $instance/demo.json"

kill "$server"
for _ in $(seq 30); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
! kill -0 "$server" 2>/dev/null || fail "gunicorn did not stop on SIGTERM within 30 s"
server=""
echo "wheel-smoke: 1 passed, 0 failed"
