#!/usr/bin/env bash
# Property-based API test: start gunicorn with a published site, let schemathesis generate
# cases for every operation of /api/v1/openapi.json, and fail on any 5xx or schema breach.
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
export SITE_KEY=$(.venv/bin/consent-service site create --domain st.example.fi --publish \
  --services google-analytics --services facebook-pixel | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["site_key"])')
API_KEY=$(.venv/bin/consent-service site api-key --site "$SITE_KEY" --role owner)
.venv/bin/gunicorn -c gunicorn.conf.py --workers 2 --bind 127.0.0.1:$port \
  --access-logfile /dev/null "consent_service:create_app()" >"$work/gunicorn.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
cat >"$work/schemathesis.toml" <<TOML
[parameters]
site_key = "\${SITE_KEY}"

# 413 (body over 16 KiB) is as much a refusal of invalid data as 400 or 422.
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
TOML
.venv/bin/schemathesis --config-file "$work/schemathesis.toml" run \
  "http://127.0.0.1:$port/api/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection \
  -H "Authorization: Bearer $API_KEY" \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-150}" --seed 4711 --workers 1 \
  --request-timeout 10 --suppress-health-check all
