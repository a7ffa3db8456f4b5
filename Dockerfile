# syntax=docker/dockerfile:1
# Stage 1: build the banner bundle from source.
FROM node:20-bookworm-slim AS banner
WORKDIR /src/banner_js
COPY banner_js/package.json banner_js/package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=optional
COPY banner_js/ ./
RUN npm run build

# Stage 2: install the Python package and its locked dependencies into a venv.
FROM python:3.11-slim-bookworm AS python
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
RUN pip install -r requirements.lock
COPY consent_service/ consent_service/
RUN pip install --no-deps .

# Stage 3: the runtime image, as a non-root user.
FROM python:3.11-slim-bookworm
# Finnish morphology for the notice analyzer (the libvoikko Python binding loads it)
RUN apt-get update && apt-get install -y --no-install-recommends libvoikko1 voikko-fi \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home /app consent \
 && mkdir -p /app/instance && chown consent /app/instance
COPY --from=python /opt/venv /opt/venv
WORKDIR /app
COPY gunicorn.conf.py ./
COPY --from=banner /src/banner_js/dist/ banner_js/dist/
ENV PATH=/opt/venv/bin:$PATH \
    CONSENT_ENV=production \
    CONSENT_INSTANCE_PATH=/app/instance \
    CONSENT_LOADER_BUNDLE=/app/banner_js/dist/loader.min.js \
    GUNICORN_BIND=0.0.0.0:8000
USER consent
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# Migrate, then serve; CONSENT_SECRET_KEY and CONSENT_DATABASE_URL come from the environment.
CMD ["sh", "-c", "consent-service db upgrade && exec gunicorn -c gunicorn.conf.py 'consent_service:create_app()'"]
