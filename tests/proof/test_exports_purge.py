"""Exports (csv, ndjson, json27560) over a date range; retention purge keeps proofs valid."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.models import AuditLog, ConsentEvent
from consent_service.proof.purge import cutoff_for, parse_duration


def export(runner, site_key, fmt, *extra):
    result = runner.invoke(args=["export", "--site", site_key, "--format", fmt, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_ndjson_date_range(runner, proof_site, add_events):
    events = add_events(10)  # 2024-01-10 .. 2024-01-19, one a day at noon
    out = export(runner, proof_site.site_key, "ndjson", "--from", "2024-01-12",
                 "--to", "2024-01-15")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["event_id"] for r in rows] == [e[0] for e in events[2:6]]
    assert [r["seq"] for r in rows] == [3, 4, 5, 6]
    assert rows[0]["page_url"] == "https://kauppa.example.fi/sivu/2"  # query stripped
    assert rows[0]["client_ip"] == "192.0.2.0/24" and rows[0]["ua_family"] == "Chrome"
    assert len(rows[0]["event_hash"]) == 64
    # Datetime bounds: --to is exclusive.
    out = export(runner, proof_site.site_key, "ndjson", "--from", "2024-01-12T12:00:00Z",
                 "--to", "2024-01-13T12:00:00+00:00")
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [3]


def test_csv(runner, proof_site, add_events):
    add_events(6)
    out = export(runner, proof_site.site_key, "csv", "--to", "2024-01-12")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["seq"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["action"] == "accept_all" and rows[0]["analytics"] == "true"
    assert rows[1]["action"] == "reject_all" and rows[1]["marketing"] == "false"
    assert rows[0]["preferences"] == ""  # not a category of this policy
    assert rows[0]["necessary"] == "true"


def test_json27560(runner, app, proof_site, add_events, tmp_path):
    events = add_events(4)
    path = tmp_path / "x.json"
    result = runner.invoke(args=["export", "--site", proof_site.site_key, "--format",
                                 "json27560", "--out", str(path)])
    assert result.exit_code == 0 and "4 records" in result.output
    doc = json.loads(path.read_text())
    assert doc["site_key"] == proof_site.site_key and len(doc["records"]) == 4
    rec = doc["records"][1]
    assert rec["record_id"] == events[1][1]
    assert rec["pii_principal_id"].startswith("ps_") and events[1][0] not in json.dumps(rec)
    assert rec["controller"]["name"] == "Testikauppa Oy"
    assert rec["jurisdiction"] == "EU/FI"
    assert rec["event"] == {"timestamp": "2024-01-11T12:00:00.000000Z", "method": "banner",
                            "action": "reject_all", "state": "refused", "gpc_signal": False}
    purposes = {p["purpose_id"]: p for p in rec["purposes"]}
    assert purposes["analytics"]["decision"] == "refused"
    assert purposes["necessary"]["decision"] == "granted"
    assert purposes["analytics"]["services"][0]["id"] == "google-analytics"
    notice = rec["notice"]
    assert notice["language"] == "sv" and notice["banner_text"]["title"] == "Evästeet (sv)"
    assert notice["policy_version"] == 1 and len(notice["policy_hash"]) == 64
    assert rec["withdrawal"]["withdrawn"] is False
    assert rec["integrity"]["seq"] == 2


def test_empty_range_and_audit(runner, proof_site, add_events):
    add_events(2)
    assert export(runner, proof_site.site_key, "ndjson", "--from", "2030-01-01") == ""
    doc = json.loads(export(runner, proof_site.site_key, "json27560", "--from", "2030-01-01"))
    assert doc["records"] == []
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert [(a.details["format"], a.details["rows"]) for a in audits] == [
        ("ndjson", 0), ("json27560", 0)]


def test_export_bad_input(runner, proof_site):
    bad = runner.invoke(args=["export", "--site", proof_site.site_key, "--from", "eilen"])
    assert bad.exit_code == 2 and "not an ISO date" in bad.output
    assert runner.invoke(args=["export", "--site", "pk_none"]).exit_code == 1


@pytest.mark.parametrize("text,expected", [
    ("3y", datetime(2021, 2, 28, tzinfo=UTC)),  # 29 Feb -> 28 Feb
    ("18m", datetime(2022, 8, 29, tzinfo=UTC)),
    ("1m", datetime(2024, 1, 29, tzinfo=UTC)),
    ("90d", datetime(2024, 2, 29, tzinfo=UTC) - timedelta(days=90)),
    ("2w", datetime(2024, 2, 15, tzinfo=UTC)),
])
def test_durations(text, expected):
    assert cutoff_for(text, datetime(2024, 2, 29, tzinfo=UTC)) == expected


def test_bad_durations():
    for text in ("", "3", "y", "0d", "3x", "-1y"):
        with pytest.raises(ValueError):
            parse_duration(text)


def test_purge_keeps_the_chain_verifiable(runner, proof_site, add_events, tmp_path,
                                          signing_key):
    now = datetime.now(UTC)
    add_events(4, start=now - timedelta(days=4 * 365))   # old
    add_events(3, start=now - timedelta(days=10))        # recent
    runner.invoke(args=["seal"])
    result = runner.invoke(args=["purge", "--older-than", "3y", "--site",
                                 proof_site.site_key])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["purged"] == 4
    rows = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.seq)).all()
    assert [r.purged_at is not None for r in rows] == [True] * 4 + [False] * 3
    assert all(r.page_url is None and r.client_ip is None and r.ua_family is None
               for r in rows[:4])
    assert rows[4].page_url and rows[4].client_ip
    verified = runner.invoke(args=["verify", "--site", proof_site.site_key])
    assert verified.exit_code == 0, verified.output
    out = tmp_path / "b.zip"
    assert runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out",
                               str(out)]).exit_code == 0
    assert runner.invoke(args=["verify", str(out), "--trusted-key",
                               signing_key.fingerprint]).exit_code == 0
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "purge")).one()
    assert audit.details["events"] == 4
    # Idempotent: nothing more to purge.
    again = runner.invoke(args=["purge", "--older-than", "3y"])
    assert json.loads(again.output)[0]["purged"] == 0


def test_purge_uses_site_retention_by_default(runner, proof_site, add_events):
    now = datetime.now(UTC)
    proof_site.retention_days = 30
    db.session.commit()
    add_events(2, start=now - timedelta(days=40))
    add_events(1, start=now - timedelta(days=5))
    result = runner.invoke(args=["purge"])
    assert json.loads(result.output)[0]["purged"] == 2


def test_purge_bad_duration(runner, app):
    result = runner.invoke(args=["purge", "--older-than", "three years"])
    assert result.exit_code == 2 and "3y" in result.output
