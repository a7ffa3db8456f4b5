"""consent-service: a self-hosted consent-management platform."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import load_config

ROOT = Path(__file__).resolve().parent.parent


def banner_dist_dir() -> str:
    """CONSENT_BANNER_DIST_DIR, else the copy the wheel build put in the package, else
    `<repo>/banner_js/dist/` of a checkout (docs: banner-dist contract)."""
    if os.environ.get("CONSENT_BANNER_DIST_DIR"):
        return os.environ["CONSENT_BANNER_DIST_DIR"]
    packaged = Path(__file__).resolve().parent / "banner_dist"
    if packaged.is_dir():
        return str(packaged)
    return str(ROOT / "banner_js" / "dist")


def create_app(config: dict | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"],
                template_folder="admin/templates", static_folder="admin/static",
                static_url_path="/admin/static")
    app.config.update(settings)
    from .services.params import bounded_int_converter

    app.url_map.converters["int"] = bounded_int_converter()  # before any route is added
    # The built banner files: the wheel's own copy, else the checkout's build output.
    app.config.setdefault("BANNER_DIST_DIR", banner_dist_dir())
    app.config.setdefault("LOADER_BUNDLE", os.environ.get("CONSENT_LOADER_BUNDLE")
                          or str(Path(app.config["BANNER_DIST_DIR"]) / "loader.min.js"))
    # Migrations ship inside the package, so an installed wheel can migrate from any directory.
    app.config.setdefault("MIGRATIONS_DIR", os.environ.get("CONSENT_MIGRATIONS_DIR")
                          or str(Path(__file__).resolve().parent / "migrations"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from .security import SessionOnlyWithCookie

    app.session_interface = SessionOnlyWithCookie()
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    logging.basicConfig(level=logging.INFO)
    # Alembic announces each of its plugins at INFO on every CLI call; only migrations matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from . import errors, models  # noqa: F401  (models register their tables)
    from .extensions import api, csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"],
                     render_as_batch=True, compare_type=True)
    limiter.init_app(app)
    csrf.init_app(app)
    api.init_app(app)
    api.spec.components.security_scheme(
        "apiKey", {"type": "http", "scheme": "bearer", "description": "a site's admin API key"})

    from .api import analyze, loader, public

    api.register_blueprint(public.blp)
    api.register_blueprint(analyze.blp)
    csrf.exempt(analyze.blp)
    api.register_blueprint(public.health_blp)
    csrf.exempt(public.blp)
    csrf.exempt(public.health_blp)
    app.register_blueprint(loader.bp)
    from .api import favicon

    app.register_blueprint(favicon.bp)
    if app.config["CONSENT_ENV"] != "production":
        from .api import demo

        app.register_blueprint(demo.bp)
    from .proof.api import init_app as init_proof_api

    init_proof_api(app)
    from .scan import init_app as init_scan

    init_scan(app)
    from .admin import init_app as init_admin

    init_admin(app)
    from . import cli

    cli.init_app(app)
    errors.register(app)
    from .catalog import load_catalog

    # Parsed here, once per process: a broken catalog stops the start, and no request pays
    # for the parse (under load, a cold worker's threads all waited for it).
    load_catalog()
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers run beside the one writer; FULL sync makes a 2xx durable.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
