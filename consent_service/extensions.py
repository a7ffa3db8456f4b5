"""Extension objects, bound to the app in create_app."""

from flask import request
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from . import ratelimit  # noqa: F401  (registers the lazymemory:// storage with limits)


class Base(DeclarativeBase):
    # Named constraints so Alembic can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def client_address() -> str:
    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = Api()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_address)


# Blueprints with no @limiter.limit on any view (the consent POST calls ratelimit.enforce
# itself): the extension's per-request bookkeeping is skipped there, 0.07 ms a request.
# tests/test_ratelimit.py fails if a view of theirs is ever decorated.
UNLIMITED_BLUEPRINTS = ("public", "health", "loader")


@limiter.request_filter
def _no_limits_declared_here() -> bool:
    return request.blueprint in UNLIMITED_BLUEPRINTS
