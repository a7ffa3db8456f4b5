"""Health and readiness: is the database reachable; is this instance able to serve.

Nothing here writes, so nothing commits.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

# Concurrent /healthz requests of one process share one probe: each opened its own pooled
# session before, and under load the pool's overflow connections were opened and closed per
# request (~1,600 new PostgreSQL sessions for ~2,800 requests).
PROBE_MAX_AGE = 0.5  # seconds a probe's answer serves other requests of the same process


class _Probe:
    def __init__(self):
        self.lock = threading.Lock()
        self.at = float("-inf")
        self.ok = False
        self.error = ""


def database_reachable() -> tuple[bool, str]:
    """One `SELECT 1` on a pooled connection per process and PROBE_MAX_AGE at most; requests
    that arrive meanwhile take its answer. Returns (reachable, error class name)."""
    probe = current_app.extensions.get("health_probe")
    if probe is None:
        probe = current_app.extensions.setdefault("health_probe", _Probe())
    if time.monotonic() - probe.at < PROBE_MAX_AGE:
        return probe.ok, probe.error
    with probe.lock:
        if time.monotonic() - probe.at >= PROBE_MAX_AGE:
            try:
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                probe.ok, probe.error = True, ""
            except SQLAlchemyError as exc:
                probe.ok, probe.error = False, type(getattr(exc, "orig", None) or exc).__name__
            probe.at = time.monotonic()
        return probe.ok, probe.error


@lru_cache(maxsize=4)
def migration_heads(directory: str) -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def database_revision() -> tuple[set[str] | None, str]:
    """The database's Alembic revisions (None when it has no version table), or an error."""
    try:
        rows = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return set(rows), ""
    except SQLAlchemyError as exc:
        return None, type(getattr(exc, "orig", None) or exc).__name__
    finally:
        db.session.rollback()


def readiness() -> dict[str, str]:
    """Each check's state: "ok" or what is wrong. Ready when every one is "ok"."""
    cfg = current_app.config
    checks: dict[str, str] = {}
    dist = Path(cfg["BANNER_DIST_DIR"])  # the core and UI served, the all-in-one preview
    bundle = next((dist / f for f in ("core.min.js", "ui.min.js", "loader.min.js")
                   if not (dist / f).is_file()), None)
    checks["banner"] = "ok" if bundle is None else (
        f"no built banner at {bundle} (npm run build in banner_js/, or install the wheel)")
    heads = migration_heads(cfg["MIGRATIONS_DIR"])
    current, error = database_revision()
    if current is None:
        ok, reach_error = database_reachable()
        checks["database"] = ("not migrated: run `consent-service db upgrade`" if ok
                              else f"unreachable ({reach_error or error})")
    elif current != set(heads):
        checks["database"] = (f"at revision {', '.join(sorted(current)) or 'none'}, not "
                              f"{', '.join(sorted(heads))}: run `consent-service db upgrade`")
    else:
        checks["database"] = "ok"
    key = Path(cfg["SIGNING_KEY_FILE"])
    checks["signing_key"] = "ok" if key.is_file() else (
        f"no signing key at {key} (create it with `consent-service keys init`, or copy the "
        "deployment's key file here)")
    return checks
