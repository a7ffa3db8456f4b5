# syntax=docker/dockerfile:1
# Targets: `runtime` (default: the web app) and `scan-worker` (the job worker with Debian's
# Chromium for site scans). See compose.yaml and the README's Docker section.

# Stage 1: the banner, built from source. Optional dependencies stay: esbuild's platform
# binary is one, and without it esbuild's install script needs the network.
FROM node:20-bookworm-slim AS banner
WORKDIR /src/banner_js
COPY banner_js/package.json banner_js/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY banner_js/ ./
RUN npm run build

# Stage 2: the wheel (setup.py packages banner_js/dist as consent_service/banner_dist), then a
# venv with it and only the dependencies it declares, at the locked versions: no test tools.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md LICENSE requirements.lock ./
COPY consent_service/ consent_service/
COPY --from=banner /src/banner_js/dist/ banner_js/dist/
RUN pip wheel --no-deps -w /wheels . \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install -c requirements.lock /wheels/consent_service-*.whl

# Stage 3: the runtime image, as a non-root user; instance/ (signing key, and the SQLite file
# if no CONSENT_DATABASE_URL is set) is a volume so a new container keeps sealing with the
# same key.
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 consent \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home consent \
 && mkdir -p /app/instance && chown consent:consent /app/instance
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CONSENT_ENV=production \
    CONSENT_INSTANCE_PATH=/app/instance \
    GUNICORN_BIND=0.0.0.0:8000
VOLUME ["/app/instance"]
USER 10001:10001
EXPOSE 8000
# /healthz: the process answers and reaches its database. /readyz (used by compose.yaml)
# also wants the banner, a migrated schema and the signing key.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# Migrate, then become gunicorn (consent-service serve execs it); CONSENT_SECRET_KEY and
# CONSENT_DATABASE_URL come from the environment.
CMD ["sh", "-c", "consent-service db upgrade && exec consent-service serve"]

# The job worker with Debian's Chromium: scans queued in the admin or API, and the periodic
# seals, retention purge and statistics roll-up. Run the web app with
# CONSENT_EMBEDDED_WORKER=0 beside it.
FROM runtime AS scan-worker
USER 0
# Debian's security updates move chromium's version; a pin would break the build each time.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
USER 10001:10001
ENV CONSENT_CHROMIUM=/usr/bin/chromium
HEALTHCHECK NONE
CMD ["consent-service", "worker"]

# The default target is the web app.
FROM runtime
