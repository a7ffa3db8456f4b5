"""Fixtures: `app`, `client`, `runner` (as in Flask's tutorial) on SQLite or PostgreSQL.

TEST_DATABASE_URL selects PostgreSQL; the schema is migrated once per session and every
test starts from empty tables. Without it each test gets a copy of a migrated SQLite file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from consent_service import create_app
from consent_service.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40,
                      "CONSENT_ENV": "testing", "INSTANCE_PATH": str(instance)})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    instance = tmp_path_factory.mktemp("instance")
    if PG_URL:
        _migrate(PG_URL, instance)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}", instance)
    return str(path)


@pytest.fixture
def database_url(migrated_template, tmp_path) -> str:
    if PG_URL:
        return PG_URL
    path = tmp_path / "test.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


def _truncate_all() -> None:
    names = ", ".join(t.name for t in db.metadata.sorted_tables)
    db.session.rollback()
    db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-" + "x" * 32,
        "CONSENT_ENV": "testing",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "RATELIMIT_CONSENTS": "10000/minute",
        "RATELIMIT_SITE": "100000/minute",
    })
    from consent_service.services.siteconfig import invalidate

    invalidate()
    with app.app_context():
        yield app
        if PG_URL:
            _truncate_all()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def published_site(app):
    """A site with a published policy: necessary, analytics (GA), marketing (Meta Pixel)."""
    from consent_service.services.setup import create_site_with_policy
    from consent_service.services.sites import get_site

    result = create_site_with_policy(["shop.example.fi"], name="Example shop",
                                     services=["google-analytics", "facebook-pixel"],
                                     publish=True)
    return get_site(result["site_key"])


@pytest.fixture
def consent_body(client, published_site):
    """A valid consent event body for `published_site`, fresh event_id each call."""
    config = client.get(f"/api/v1/sites/{published_site.site_key}/config").get_json()

    def make(**overrides):
        body = {
            "event_id": str(uuid.uuid4()),
            "policy_version": config["policy_version"],
            "action": "accept_all",
            "choices": {"analytics": True, "marketing": True},
            "language": "fi",
            "banner_hash": config["banner_hashes"]["fi"],
            "page_url": "https://shop.example.fi/tuotteet?id=5#top",
            "gpc": False,
        }
        body.update(overrides)
        return body

    return make
