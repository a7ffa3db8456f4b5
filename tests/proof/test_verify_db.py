"""`consent-service verify --site`: the live chain, and tampering with it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select, text, update

from consent_service.extensions import db
from consent_service.models import ConsentEvent, PolicyVersion
from consent_service.proof.verify import verify_site

from .conftest import T0


def verify(runner, site_key):
    result = runner.invoke(args=["verify", "--site", site_key])
    return result.exit_code, result.output


def event_row(site, seq) -> ConsentEvent:
    return db.session.scalars(select(ConsentEvent).where(ConsentEvent.site_id == site.id,
                                                         ConsentEvent.seq == seq)).one()


def tamper(site, at_seq, **values):
    db.session.execute(update(ConsentEvent).where(ConsentEvent.site_id == site.id,
                                                  ConsentEvent.seq == at_seq).values(**values))
    db.session.commit()


def test_clean_chain_verifies_and_is_sealed(runner, proof_site, add_events):
    add_events(12)
    assert runner.invoke(args=["seal"]).exit_code == 0
    code, out = verify(runner, proof_site.site_key)
    assert code == 0, out
    assert "VALID: site" in out and "12 events" in out and "1 seals checked" in out
    report = verify_site(proof_site)
    assert report.ok and report.first_seq == 1 and report.last_seq == 12


@pytest.mark.parametrize("field,value", [
    ("choices", {"necessary": True, "analytics": True, "marketing": True}),
    ("action", "accept_all"),
    ("recorded_at", T0.replace(year=2023)),
    ("policy_version", 2),
    ("gpc", True),
])
def test_edited_event_is_named(runner, proof_site, add_events, field, value):
    events = add_events(6)
    seq = 5  # a reject_all/custom event, so "accept_all" and the choices change something
    eid = events[seq - 1][0]
    tamper(proof_site, seq, **{field: value})
    code, out = verify(runner, proof_site.site_key)
    assert code == 1
    assert f"seq {seq} event {eid}" in out, out
    assert "INVALID" in out


def test_edited_personal_field_is_named(runner, proof_site, add_events):
    events = add_events(4)
    tamper(proof_site, 2, page_url="https://kauppa.example.fi/other")
    code, out = verify(runner, proof_site.site_key)
    assert code == 1 and "[personal]" in out and events[1][0] in out


def test_deleted_event_is_named(runner, proof_site, add_events):
    events = add_events(6)
    db.session.execute(delete(ConsentEvent).where(ConsentEvent.site_id == proof_site.id,
                                                  ConsentEvent.seq == 3))
    db.session.commit()
    code, out = verify(runner, proof_site.site_key)
    assert code == 1
    # The event after the gap is named, with the missing seq.
    assert f"seq 4 event {events[3][0]}: seq 3 missing" in out, out


def test_deleted_last_event_is_caught_by_head_and_seal(runner, proof_site, add_events):
    add_events(5)
    runner.invoke(args=["seal"])
    db.session.execute(delete(ConsentEvent).where(ConsentEvent.site_id == proof_site.id,
                                                  ConsentEvent.seq == 5))
    db.session.commit()
    code, out = verify(runner, proof_site.site_key)
    assert code == 1 and "[head]" in out and "[seal]" in out, out


def test_reordered_events_are_named(runner, proof_site, add_events):
    events = add_events(6)
    # Swap the positions (seq) of events 2 and 4 through a free seq.
    tamper(proof_site, 2, seq=-1)
    tamper(proof_site, 4, seq=2)
    tamper(proof_site, -1, seq=4)
    code, out = verify(runner, proof_site.site_key)
    assert code == 1
    assert f"seq 2 event {events[3][0]}" in out and f"seq 4 event {events[1][0]}" in out, out


def test_rewritten_chain_is_caught_by_the_seal(runner, proof_site, add_events):
    """Edit an event and recompute every hash after it: only the seal can tell."""
    from consent_service.models import ChainHead
    from consent_service.services.consents import event_hash

    add_events(5)
    runner.invoke(args=["seal"])
    tamper(proof_site, 3, action="accept_all",
           choices={"necessary": True, "analytics": True, "marketing": True})
    prev = event_row(proof_site, 2).event_hash
    for seq in range(3, 6):
        row = event_row(proof_site, seq)
        row.prev_hash = prev
        row.event_hash = event_hash(row, proof_site.site_key)
        prev = row.event_hash
    db.session.execute(update(ChainHead).where(ChainHead.site_id == proof_site.id)
                       .values(head_hash=prev))
    db.session.commit()
    code, out = verify(runner, proof_site.site_key)
    assert code == 1 and "[seal]" in out and "chain rewritten" in out, out


@pytest.mark.parametrize("rehash", [False, True])
def test_changed_policy_text_names_the_events(runner, proof_site, add_events, rehash):
    events = add_events(3)
    policy = db.session.scalars(select(PolicyVersion)
                                .where(PolicyVersion.site_id == proof_site.id)).one()
    content = json.loads(json.dumps(policy.content))
    content["banner"]["fi"]["description"] = "Emme käytä evästeitä lainkaan."
    values = {"content": content}
    if rehash:
        from consent_service.services.policies import content_hash

        values["content_hash"] = content_hash(content)
    # Straight SQL: the ORM refuses to change a published version.
    db.session.execute(update(PolicyVersion.__table__)
                       .where(PolicyVersion.__table__.c.id == policy.id).values(**values))
    db.session.commit()
    code, out = verify(runner, proof_site.site_key)
    assert code == 1
    for eid, _rid, _seq in events:
        assert eid in out, out
    assert "[banner]" in out  # the Finnish event's banner text changed too
    assert f"[banner] seq 1 event {events[0][0]}" in out


def test_unknown_site(runner, app):
    result = runner.invoke(args=["verify", "--site", "pk_nope"])
    assert result.exit_code != 0 and "Unknown site key" in result.output


def test_verify_needs_one_target(runner, app):
    assert runner.invoke(args=["verify"]).exit_code == 2


def test_empty_site_verifies(runner, proof_site):
    code, out = verify(runner, proof_site.site_key)
    assert code == 0 and "0 events" in out


def test_raw_sql_is_not_needed_for_setup(app):
    # Guards against a silent no-op tamper: updates above go through real rows.
    assert db.session.execute(text("SELECT 1")).scalar() == 1
