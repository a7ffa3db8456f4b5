"""Database outage answers 503 with Retry-After; rate limits shared through Redis."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from consent_service import create_app

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_database_down_is_503_with_retry_after(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"postgresql://nobody@127.0.0.1:{port}/none",
                      "SECRET_KEY": "k" * 40, "CONSENT_ENV": "testing",
                      "INSTANCE_PATH": str(tmp_path)})
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"] == "5"
    assert health.get_json()["code"] == 503
    post = client.post("/api/v1/sites/pk_x/consents", json={
        "event_id": str(uuid.uuid4()), "policy_version": 1, "action": "reject_all",
        "choices": {"analytics": False}, "language": "fi", "banner_hash": "a" * 64})
    assert post.status_code == 503 and post.headers["Retry-After"] == "5"
    assert client.get("/api/v1/sites/pk_x/config").status_code == 503
    assert client.get("/livez").status_code == 200


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means: not reachable
        return False


def test_rate_limit_is_shared_through_redis(monkeypatch, database_url, tmp_path,
                                            published_site, consent_body):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS}")
        pytest.skip(f"Redis is not reachable at {REDIS}")
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    monkeypatch.setenv("CONSENT_REDIS_URL", REDIS)
    apps = [create_app({"SQLALCHEMY_DATABASE_URI": database_url,
                        "SECRET_KEY": "test-secret-" + "x" * 32, "CONSENT_ENV": "testing",
                        "INSTANCE_PATH": str(tmp_path / f"i{n}"),
                        "RATELIMIT_CONSENTS": "4/minute", "RATELIMIT_SITE": "1000/minute"})
            for n in range(2)]
    assert all(a.config["RATELIMIT_STORAGE_URI"] == REDIS for a in apps)
    url = f"/api/v1/sites/{published_site.site_key}/consents"
    codes = []
    for n in range(6):  # alternate between two "servers"; the limit counts both
        with apps[n % 2].app_context():
            resp = apps[n % 2].test_client().post(
                url, json=consent_body(), environ_base={"REMOTE_ADDR": "192.0.2.44"})
            codes.append(resp.status_code)
    assert codes[:4] == [201] * 4 and codes[4:] == [429, 429]
