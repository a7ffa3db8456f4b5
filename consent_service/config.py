"""Settings from CONSENT_* environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the service refuses to start."""


ENV_VARS: dict[str, tuple[str, str]] = {
    # name: (default, meaning) — README's configuration table mirrors this.
    "CONSENT_ENV": ("development", "development | production | testing"),
    "CONSENT_DATABASE_URL": ("sqlite:///<instance>/consent.db", "SQLAlchemy database URL"),
    "CONSENT_SECRET_KEY": ("generated in dev", "signs sessions, CSRF tokens, receipts"),
    "CONSENT_REDIS_URL": ("", "Redis for rate limits and cache invalidation"),
    "CONSENT_PUBLIC_URL": ("", "external base URL used in loader config and embed code"),
    "CONSENT_INSTANCE_PATH": ("<repo>/instance, else ~/.local/share/consent-service",
                              "folder for SQLite, dev secret, signing key"),
    "CONSENT_SIGNING_KEY_FILE": ("<instance>/signing-key.pem", "Ed25519 key for chain seals"),
    "CONSENT_IP_MODE": ("truncate", "truncate (IPv4 /24, IPv6 /48) | hash | none"),
    "CONSENT_RATELIMIT_CONSENTS": ("30/minute", "per client address on the consent endpoint"),
    "CONSENT_RATELIMIT_SITE": ("6000/minute", "per site key on the consent endpoint"),
    "CONSENT_RATELIMIT_LOGIN": ("10/minute", "per client address on admin login"),
    "CONSENT_CHROMIUM": ("/usr/bin/chromium", "browser used by site scans"),
    "CONSENT_MIGRATIONS_DIR": ("<package>/migrations", "Alembic scripts (shipped in the package)"),
    "CONSENT_BANNER_DIST_DIR": ("<package>/banner_dist, else <repo>/banner_js/dist",
                                "built banner files"),
    "CONSENT_LOADER_BUNDLE": ("<banner dist>/loader.min.js", "built banner bundle"),
    "CONSENT_TRUSTED_PROXIES": ("0", "reverse proxies in front whose X-Forwarded-* to trust"),
    # Read where the scan runs (scan/netpolicy.py, scan/browser.py), listed here for the table.
    "CONSENT_SCAN_ALLOW_NETWORKS": ("", "internal CIDR ranges site scans may reach (intranet)"),
    "CONSENT_SCAN_USER": ("nobody", "unprivileged user the scan's Chromium runs as under root"),
    "CONSENT_SCAN_SANDBOX": ("1", "0 turns Chromium's sandbox off where it cannot start"),
}


def default_instance_path(repo: Path | None = None) -> Path:
    """`<repo>/instance` in a checkout; an installed package keeps its data per user, in
    $XDG_DATA_HOME/consent-service (~/.local/share/consent-service), not in the directory
    it happens to be started from nor inside the venv (which a reinstall deletes)."""
    repo = repo or Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").is_file() and (repo / "consent_service").is_dir():
        return repo / "instance"
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "consent-service"


def _instance_path() -> Path:
    return Path(os.environ.get("CONSENT_INSTANCE_PATH") or default_instance_path()).resolve()


def _dev_secret(instance: Path) -> str:
    # A stable secret for development so receipts survive restarts; never used in production.
    path = instance / "dev-secret-key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(overrides: dict | None = None) -> dict:
    overrides = dict(overrides or {})
    env = overrides.get("CONSENT_ENV") or os.environ.get("CONSENT_ENV", "development")
    if env not in ("development", "production", "testing"):
        raise ConfigError(f"CONSENT_ENV must be development, production or testing, not {env!r}")
    instance = Path(overrides.get("INSTANCE_PATH") or _instance_path())
    secret = overrides.get("SECRET_KEY") or os.environ.get("CONSENT_SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigError(
                "CONSENT_SECRET_KEY is required when CONSENT_ENV=production "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        secret = _dev_secret(instance)
    elif env == "production":
        check_secret(secret)
    db_url = os.environ.get("CONSENT_DATABASE_URL") or f"sqlite:///{instance / 'consent.db'}"
    redis_url = os.environ.get("CONSENT_REDIS_URL") or None
    production = env == "production"
    cfg = {
        "CONSENT_ENV": env,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "PUBLIC_URL": os.environ.get("CONSENT_PUBLIC_URL", "").rstrip("/") or None,
        "SIGNING_KEY_FILE": os.environ.get("CONSENT_SIGNING_KEY_FILE")
        or str(instance / "signing-key.pem"),
        "IP_MODE": os.environ.get("CONSENT_IP_MODE", "truncate"),
        "RATELIMIT_CONSENTS": os.environ.get("CONSENT_RATELIMIT_CONSENTS", "30/minute"),
        "RATELIMIT_SITE": os.environ.get("CONSENT_RATELIMIT_SITE", "6000/minute"),
        "RATELIMIT_LOGIN": os.environ.get("CONSENT_RATELIMIT_LOGIN", "10/minute"),
        "RATELIMIT_STORAGE_URI": redis_url or "lazymemory://",
        # Flask-Limiter would put Retry-After on every limited response (even 201s and over
        # our 503's); errors.py sets it on 429 alone.
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "CHROMIUM": os.environ.get("CONSENT_CHROMIUM", "/usr/bin/chromium"),
        "TRUSTED_PROXIES": int(os.environ.get("CONSENT_TRUSTED_PROXIES", "0")),
        # Admin uploads may carry a 2 MB notice; the consent endpoint lowers this per request.
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "CONSENT_MAX_BODY": 16 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_SORT_KEYS": False,
        # flask-smorest: the OpenAPI document lives beside the API it describes.
        "API_TITLE": "consent-service",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
    if env == "testing":
        cfg["WTF_CSRF_ENABLED"] = True
    cfg.update(overrides)
    if production:
        check_public_url(cfg["PUBLIC_URL"])
    return cfg


# Words of the placeholders that tutorials, .env.example files and compose files ship with.
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "secret-key", "secret_key", "secretkey",
                 "your-secret", "your_secret", "placeholder", "example", "replace-me",
                 "replace_me", "please-set", "insecure", "not-secret", "notsecret", "default",
                 "password", "dev-secret", "schemathesis")


def check_secret(secret: str) -> None:
    """Refuse a production secret that a person typed rather than a generator made: it
    signs sessions, CSRF tokens and receipt tokens, so guessing it is logging in."""
    hint = ("generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'")
    if len(secret) < 32:
        raise ConfigError(f"CONSENT_SECRET_KEY must be at least 32 characters in production; "
                          f"{hint}")
    lowered = secret.lower()
    word = next((w for w in _PLACEHOLDERS if w in lowered), None)
    if word:
        raise ConfigError(f"CONSENT_SECRET_KEY looks like a placeholder ({word!r}); {hint}")
    if len(set(secret)) < 8 or _periodic(secret) or _entropy_bits(secret) < 80:
        raise ConfigError(f"CONSENT_SECRET_KEY has too little entropy (few distinct or "
                          f"repeating characters); {hint}")


def _periodic(text: str) -> bool:
    """True when the text is one block repeated (the last copy may be cut short)."""
    n = len(text)
    return any(text == (text[:p] * (n // p + 1))[:n] for p in range(1, n // 2 + 1))


def _entropy_bits(text: str) -> float:
    """Length times the empirical per-character entropy: a rough upper bound on what a
    guesser faces (secrets.token_hex(16) scores about 110, token_urlsafe(32) about 190)."""
    from collections import Counter
    from math import log2

    n = len(text)
    return -n * sum(c / n * log2(c / n) for c in Counter(text).values())


def check_public_url(url: str | None) -> None:
    """Production takes its external address from CONSENT_PUBLIC_URL only: a Host or
    X-Forwarded-Host header must never decide where visitors' consents are sent (the
    loader is cached publicly, so one poisoned response would reach every visitor)."""
    from urllib.parse import urlsplit

    if not url:
        raise ConfigError(
            "CONSENT_PUBLIC_URL is required when CONSENT_ENV=production (the external "
            "https:// address of this service, e.g. https://consent.example.fi); the "
            "service does not take its address from Host or X-Forwarded-Host headers")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise ConfigError(f"CONSENT_PUBLIC_URL is not a URL: {exc}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query \
            or parts.fragment or "@" in parts.netloc:
        raise ConfigError("CONSENT_PUBLIC_URL must be scheme://host[:port][/path] (https, "
                          f"no credentials, query or fragment), not {url!r}")
