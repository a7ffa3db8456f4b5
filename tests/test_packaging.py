"""First run and packaging: readiness, the pooled health probe, CLI errors before migrating,
instance and banner defaults, gunicorn's settings in the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import event

from consent_service import create_app
from consent_service.config import default_instance_path
from consent_service.extensions import db

ROOT = Path(__file__).resolve().parents[1]


def _ready_app(app, tmp_path, *, bundle=True, key=True):
    dist = tmp_path / "dist"
    dist.mkdir(exist_ok=True)
    if bundle:
        for name in ("core.min.js", "ui.min.js", "loader.min.js"):
            (dist / name).write_text("/* bundle */")
    app.config["BANNER_DIST_DIR"] = str(dist)
    keyfile = tmp_path / "signing-key.pem"
    if key:
        keyfile.write_text("key")
    app.config["SIGNING_KEY_FILE"] = str(keyfile)
    return app.test_client()


def test_readyz_ready_when_bundle_database_and_key_are_there(app, tmp_path):
    resp = _ready_app(app, tmp_path).get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ready", "checks": {
        "banner": "ok", "database": "ok", "signing_key": "ok"}}


def test_readyz_fails_without_bundle(app, tmp_path):
    resp = _ready_app(app, tmp_path, bundle=False).get("/readyz")
    body = resp.get_json()
    assert resp.status_code == 503 and body["code"] == 503
    assert set(body["errors"]) == {"banner"} and "core.min.js" in body["errors"]["banner"]


def test_readyz_fails_without_signing_key(app, tmp_path):
    resp = _ready_app(app, tmp_path, key=False).get("/readyz")
    assert resp.status_code == 503 and set(resp.get_json()["errors"]) == {"signing_key"}


def test_readyz_fails_on_unmigrated_database(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}",
                      "SECRET_KEY": "k" * 40, "CONSENT_ENV": "testing",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    client = _ready_app(app, tmp_path)
    resp = client.get("/readyz")
    body = resp.get_json()
    assert resp.status_code == 503 and set(body["errors"]) == {"database"}
    assert "db upgrade" in body["errors"]["database"]
    assert client.get("/healthz").status_code == 200  # reachable, only not migrated


def test_healthz_shares_one_pooled_probe(app, client):
    checkouts = []
    connects = []
    event.listen(db.engine, "checkout", lambda *a: checkouts.append(1))
    event.listen(db.engine, "connect", lambda *a: connects.append(1))
    app.extensions.pop("health_probe", None)
    for _ in range(50):
        assert client.get("/healthz").status_code == 200
    # 50 requests within the probe's half second: one checkout, no new connection.
    assert len(checkouts) == 1 and len(connects) <= 1


def _cli(args, tmp_path, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("CONSENT_")}
    full.update(CONSENT_INSTANCE_PATH=str(tmp_path / "instance"), **env)
    return subprocess.run([sys.executable, "-m", "consent_service", *args], env=full,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_site_create_before_migrating_names_the_fix(tmp_path):
    done = _cli(["site", "create", "--domain", "early.example.fi"], tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "run `consent-service db upgrade` first" in done.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path):
    done = _cli(["serve", "--bind", "127.0.0.1:1"], tmp_path)
    assert done.returncode == 1 and "db upgrade" in done.stderr


def test_instance_defaults_to_the_user_data_dir_outside_a_checkout(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    installed = tmp_path / "site-packages"  # no pyproject.toml beside the package
    (installed / "consent_service").mkdir(parents=True)
    assert default_instance_path(installed) == tmp_path / "data" / "consent-service"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_instance_path(installed) == Path.home() / ".local/share/consent-service"
    assert default_instance_path(ROOT) == ROOT / "instance"


def test_banner_dist_dir_prefers_the_env_then_the_packaged_copy(monkeypatch, tmp_path):
    import consent_service

    monkeypatch.setenv("CONSENT_BANNER_DIST_DIR", str(tmp_path))
    assert consent_service.banner_dist_dir() == str(tmp_path)
    monkeypatch.delenv("CONSENT_BANNER_DIST_DIR")
    packaged = Path(consent_service.__file__).parent / "banner_dist"
    expected = packaged if packaged.is_dir() else ROOT / "banner_js" / "dist"
    assert consent_service.banner_dist_dir() == str(expected)


def test_gunicorn_settings_load_by_path_with_an_address_and_no_shared_socket(monkeypatch):
    from gunicorn.app.base import Application

    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)

    class Probe(Application):
        def init(self, parser, opts, args):
            pass

        def load(self):
            pass

    for path in (ROOT / "consent_service" / "gunicorn_conf.py", ROOT / "gunicorn.conf.py"):
        app = Probe.__new__(Probe)
        app.usage, app.prog, app.callable = None, None, None
        app.do_load_config = lambda: None
        from gunicorn.config import Config

        app.cfg = Config()
        app.load_config_from_file(str(path))
        assert app.cfg.control_socket_disable is True
        assert app.cfg.reuse_port is True
        logger = app.cfg.logger_class(app.cfg)
        records: list[str] = []
        monkeypatch.setattr(logger.error_log, "info",
                            lambda msg, *a, out=records, **k: out.append(msg % a))
        logger.info("Listening at: %s (%s)", "", 123)
        assert records == ["Listening at: http://127.0.0.1:5000 (one SO_REUSEPORT socket per "
                           "worker) (123)"]


def test_gunicorn_refusals_answer_the_api_error_shape():
    """A request line past gunicorn's limit is refused before the app sees it: in JSON too."""
    import json
    import socket

    from gunicorn import util

    import consent_service.gunicorn_conf as conf

    assert util.write_error is conf._write_json_error
    a, b = socket.socketpair()
    with a, b:
        util.write_error(a, 414, "Request-URI Too Long", "Request Line is too large (9999 > 8190)")
        raw = b.recv(65536).decode()
    head, body = raw.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 414 ") and "Content-Type: application/json" in head
    assert json.loads(body) == {"code": 414, "status": "Request-URI Too Long",
                                "message": "Request Line is too large (9999 > 8190)",
                                "errors": {}}
