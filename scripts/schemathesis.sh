#!/usr/bin/env bash
# Property-based API test: start gunicorn with a published site, let schemathesis generate
# cases for every operation of /api/v1/openapi.json and of the admin JSON API (its document:
# consent_service/admin/openapi.py, logged in as a superuser), and fail on any 5xx or schema breach.
# Usage: scripts/schemathesis.sh [DATABASE_URL]   (default: a fresh SQLite file)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
port=${SCHEMATHESIS_PORT:-5099}
export CONSENT_INSTANCE_PATH=$work
export CONSENT_DATABASE_URL=${1:-sqlite:///$work/st.db}
export CONSENT_SECRET_KEY=schemathesis-only-secret-key-0123456789
export CONSENT_RATELIMIT_CONSENTS=1000000/minute CONSENT_RATELIMIT_SITE=1000000/minute
if [[ $CONSENT_DATABASE_URL == postgresql* ]]; then
  .venv/bin/python - <<'PY'
import os, sqlalchemy as sa
e = sa.create_engine(os.environ["CONSENT_DATABASE_URL"])
with e.begin() as c:
    c.execute(sa.text("DROP SCHEMA public CASCADE")); c.execute(sa.text("CREATE SCHEMA public"))
PY
fi
.venv/bin/consent-service db upgrade >/dev/null 2>&1
.venv/bin/consent-service keys init >/dev/null   # /readyz and the seal endpoint need it
export SITE_KEY=$(.venv/bin/consent-service site create --domain st.example.fi --publish \
  --services google-analytics --services facebook-pixel | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["site_key"])')
API_KEY=$(.venv/bin/consent-service site api-key --site "$SITE_KEY" --role owner)
admin_password=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(18))')
echo "$admin_password" | .venv/bin/consent-service admin create --email st@example.fi \
  --superuser --password-stdin >/dev/null
.venv/bin/python -c 'import sys; from consent_service.admin.openapi import write; write(sys.argv[1])' \
  "$work/admin-openapi.json"
.venv/bin/gunicorn -c gunicorn.conf.py --workers 2 --bind 127.0.0.1:$port \
  --access-logfile /dev/null "consent_service:create_app()" >"$work/gunicorn.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
# The admin JSON API takes a session cookie: log in once through the form (CSRF and all).
jar=$work/cookies
csrf=$(curl -sf -c "$jar" "http://127.0.0.1:$port/admin/login" \
  | sed -n 's/.*name="csrf_token"[^>]*value="\([^"]*\)".*/\1/p' | head -1)
curl -sf -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$csrf" \
  --data-urlencode "email=st@example.fi" --data-urlencode "password=$admin_password" \
  "http://127.0.0.1:$port/admin/login"
session=$(awk '$6 == "session" {print $7}' "$jar")
[[ -n $session ]] || { echo "admin login for schemathesis failed" >&2; exit 1; }
cat >"$work/schemathesis.toml" <<TOML
[parameters]
site_key = "\${SITE_KEY}"

# 413 (body over 16 KiB) is as much a refusal of invalid data as 400 or 422.
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
TOML
status=0   # both runs always run; either failing fails the script
.venv/bin/schemathesis --config-file "$work/schemathesis.toml" run \
  "http://127.0.0.1:$port/api/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection \
  -H "Authorization: Bearer $API_KEY" \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-150}" --seed 4711 --workers 1 \
  --request-timeout 10 --suppress-health-check all || status=1
# The admin JSON API (consent log search, statistics), same checks, logged in as a superuser.
.venv/bin/schemathesis --config-file "$work/schemathesis.toml" run "$work/admin-openapi.json" \
  --url "http://127.0.0.1:$port" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection \
  -H "Cookie: session=$session" \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-150}" --seed 4711 --workers 1 \
  --request-timeout 10 --suppress-health-check all || status=1
exit $status
