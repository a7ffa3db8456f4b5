"""Configuration, migrations and the CLI."""

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consent_service import create_app
from consent_service.config import ConfigError
from consent_service.extensions import db


def test_production_refuses_to_start_without_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("CONSENT_SECRET_KEY", raising=False)
    monkeypatch.setenv("CONSENT_ENV", "production")
    with pytest.raises(ConfigError, match="CONSENT_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    monkeypatch.setenv("CONSENT_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="32"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_production_sets_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSENT_ENV", "production")
    monkeypatch.setenv("CONSENT_SECRET_KEY", "Zq8-vT1xK_p3Lm9Rw2Yb7Nc4Hd6Jf0Gs5Ue")
    monkeypatch.setenv("CONSENT_PUBLIC_URL", "https://consent.example.fi")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_cli_site_create_publish(runner):
    result = runner.invoke(args=["site", "create", "--domain", "kauppa.example.fi",
                                 "--lang", "fi", "--lang", "en", "--publish"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["site_key"].startswith("pk_") and out["policy_version"] == 1


def test_cli_site_create_bad_notice_path(runner):
    result = runner.invoke(args=["site", "create", "--domain", "x.example.fi",
                                 "--notice", "/nonexistent/notice.txt"])
    assert result.exit_code != 0 and "cannot read notice" in result.output


def test_cli_admin_create_reads_password_from_stdin(runner):
    result = runner.invoke(args=["admin", "create", "--email", "Owner@Example.fi",
                                 "--password-stdin"], input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["email"] == "owner@example.fi"
    short = runner.invoke(args=["admin", "create", "--email", "b@example.fi",
                                "--password-stdin"], input="short\n")
    assert short.exit_code != 0


def test_cli_api_key_is_shown_once_and_stored_hashed(runner, published_site):
    from consent_service.models import ApiKey

    result = runner.invoke(args=["site", "api-key", "--site", published_site.site_key,
                                 "--role", "viewer"])
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    row = db.session.query(ApiKey).one()
    assert key.startswith(row.prefix + ".") and key not in (row.key_hash, row.prefix)
    assert row.role == "viewer"


def test_cli_stats_rollup(runner, published_site):
    result = runner.invoke(args=["stats-rollup"])
    assert result.exit_code == 0, result.output
    assert published_site.site_key in result.output
