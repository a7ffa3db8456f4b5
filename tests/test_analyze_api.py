"""The analyzer through the API (admin API key) and the CLI, and sites set up from a notice."""

import json
from pathlib import Path

import pytest

from consent_service.services.sites import create_api_key

NOTICE = Path(__file__).parent / "data" / "notice_fi_small.txt"


@pytest.fixture
def api_key(published_site):
    return create_api_key(published_site, "ci", role="editor")[1]


def test_analyze_needs_an_api_key(client):
    resp = client.post("/api/v1/analyze", json={"notice": "Käytämme evästeitä."})
    assert resp.status_code == 401 and resp.get_json()["code"] == 401
    bad = client.post("/api/v1/analyze", json={"notice": "x"},
                      headers={"Authorization": "Bearer sk_nope.nope"})
    assert bad.status_code == 401


def test_viewer_key_cannot_analyze(client, published_site):
    key = create_api_key(published_site, "ro", role="viewer")[1]
    resp = client.post("/api/v1/analyze", json={"notice": "Käytämme evästeitä."},
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 403


def test_revoked_key_is_refused(client, published_site):
    from consent_service.services.sites import revoke_api_key

    row, key = create_api_key(published_site, "old")
    revoke_api_key(row)
    resp = client.post("/api/v1/analyze", json={"notice": "x"},
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 401


def test_analyze_returns_contract_document(client, api_key):
    resp = client.post("/api/v1/analyze", json={"notice": NOTICE.read_text()},
                       headers={"Authorization": f"Bearer {api_key}"})
    assert resp.status_code == 200, resp.get_json()
    doc = resp.get_json()
    assert doc["schema"] == "notice-analysis/1" and doc["language"] == "fi"
    assert doc["controller"] == {"name": "Verkkokauppa Kuusi Oy", "business_id": "2345678-0"}
    assert doc["categories"]["analytics"]["used"] is True
    assert doc["categories"]["marketing"]["used"] is False
    assert [s["id"] for s in doc["services"]] == ["google-analytics"]
    assert set(doc["banner"]) == {"fi", "sv", "en"}


def test_analyze_refuses_binary(client, api_key):
    auth = {"Authorization": f"Bearer {api_key}"}
    resp = client.post("/api/v1/analyze", json={"notice": "\x01\x02\x03" * 100}, headers=auth)
    assert resp.status_code == 422 and "notice" in resp.get_json()["errors"]
    # NUL is no text at all: refused where the JSON body is read, for every endpoint alike.
    resp = client.post("/api/v1/analyze", json={"notice": "\x00\x01\x02" * 100}, headers=auth)
    assert resp.status_code == 400 and "json" in resp.get_json()["errors"]


def test_cli_analyze_and_site_from_notice(runner, client):
    out = runner.invoke(args=["analyze", str(NOTICE)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["controller"]["business_id"] == "2345678-0"
    created = runner.invoke(args=["site", "create", "--domain", "kuusi.example.fi",
                                  "--notice", str(NOTICE), "--publish"])
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)["site_key"]
    config = client.get(f"/api/v1/sites/{key}/config").get_json()
    assert [c["id"] for c in config["categories"]] == ["necessary", "analytics"]
    assert config["categories"][1]["services"][0]["id"] == "google-analytics"
    assert "Google Analytics" in json.dumps(config["texts"]["fi"], ensure_ascii=False)


def test_cli_analyze_empty_input_exits_2(runner, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    out = runner.invoke(args=["analyze", str(empty)])
    assert out.exit_code == 2


DEEP = [b"[" * 8000 + b"]" * 8000, b'{"notice":' * 3000 + b"1" + b"}" * 3000]


@pytest.mark.parametrize("raw", DEEP)
def test_json_nested_past_the_recursion_limit_is_400(client, api_key, raw):
    resp = client.post("/api/v1/analyze", data=raw, content_type="application/json",
                       headers={"Authorization": f"Bearer {api_key}"})
    assert resp.status_code == 400
    assert resp.get_json()["errors"] == {"json": ["Invalid JSON body."]}
