"""Draft editing, preview, publish; consent log search and proof; statistics; audit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from consent_service.extensions import db
from consent_service.models import ConsentEvent, PolicyVersion
from consent_service.services import consent_log
from consent_service.services.stats import ConsentDaily, daily_stats

from .conftest import add_events, csrf_token


def _new_draft(client, site) -> str:
    token = csrf_token(client, f"/admin/sites/{site.site_key}/policies")
    resp = client.post(f"/admin/sites/{site.site_key}/policies/draft", data={"csrf_token": token})
    return resp.headers["Location"]


def _form(version: PolicyVersion, token: str, **extra) -> dict:
    content = version.content
    data = {"csrf_token": token, "categories": [c["id"] for c in content["categories"]],
            "services": [s["id"] for s in content["services"]]}
    data.update(extra)
    return data


def test_edit_preview_publish_history(login, published_site, app, tmp_path):
    client = login("editor")
    key = published_site.site_key
    edit_url = _new_draft(client, published_site)
    assert edit_url.endswith("/policies/2/edit")
    page = client.get(edit_url).get_data(as_text=True)
    assert 'name="banner-fi-title"' in page and 'iframe name="preview-frame"' in page
    draft = db.session.scalars(select(PolicyVersion).where(PolicyVersion.version == 2)).one()
    token = csrf_token(client, edit_url)
    # unsaved edits render in the preview only
    bundle = tmp_path / "loader.min.js"
    bundle.write_text("window.__bundleRan = true;")
    app.config["LOADER_BUNDLE"] = str(bundle)
    preview = client.post(f"/admin/sites/{key}/policies/2/preview",
                          data=_form(draft, token, **{"banner-fi-title": "Evästeet </script>"}))
    html = preview.get_data(as_text=True)
    assert "window.__bundleRan = true;" in html
    config = json.loads(html.split("window.__consentServiceConfig = ")[1].split(";\n")[0])
    assert config["texts"]["fi"]["title"] == "Evästeet </script>"
    assert config["api_base"] == "/admin/preview-sink"
    assert "</script>" not in html.split("window.__consentServiceConfig = ")[1].split(";\n")[0]
    db.session.refresh(draft)
    assert draft.content["banner"]["fi"]["title"] != "Evästeet </script>"
    # save: add YouTube (marketing), change a text
    resp = client.post(edit_url, data=_form(draft, token, add_services=["youtube"],
                                            **{"banner-en-title": "Cookies on Example shop"}))
    assert resp.status_code == 302
    db.session.refresh(draft)
    assert "youtube" in {s["id"] for s in draft.content["services"]}
    assert draft.content["banner"]["en"]["title"] == "Cookies on Example shop"
    # publish page shows the diff; material because a service was added
    page = client.get(f"/admin/sites/{key}/policies/2/publish").get_data(as_text=True)
    assert "Material change" in page and "youtube" in page
    unconfirmed = client.post(f"/admin/sites/{key}/policies/2/publish",
                              data={"csrf_token": token})
    assert unconfirmed.status_code == 200
    resp = client.post(f"/admin/sites/{key}/policies/2/publish",
                       data={"csrf_token": token, "confirm": "y"})
    assert resp.status_code == 302
    db.session.refresh(draft)
    assert draft.is_published and draft.material and draft.published_by is not None
    # published versions are read-only; history lists both with their texts
    assert client.get(edit_url).status_code == 409
    history = client.get(f"/admin/sites/{key}/policies").get_data(as_text=True)
    assert "v1" in history and "v2" in history and "(current)" in history
    v2 = client.get(f"/admin/sites/{key}/policies/2").get_data(as_text=True)
    assert "Cookies on Example shop" in v2


def test_preview_without_bundle(login, published_site, app, tmp_path):
    app.config["LOADER_BUNDLE"] = str(tmp_path / "missing.js")
    html = login("viewer").get(
        f"/admin/sites/{published_site.site_key}/policies/1/preview").get_data(as_text=True)
    assert 'id="no-bundle"' in html and "npm run build" in html


def test_regenerate_texts_and_remove_service(login, published_site):
    client = login("editor")
    edit_url = _new_draft(client, published_site)
    draft = db.session.scalars(select(PolicyVersion).where(PolicyVersion.version == 2)).one()
    token = csrf_token(client, edit_url)
    data = _form(draft, token, regenerate="1")
    data["services"] = ["google-analytics"]
    data["categories"] = ["necessary", "analytics"]
    assert client.post(edit_url, data=data).status_code == 302
    db.session.refresh(draft)
    assert [c["id"] for c in draft.content["categories"]] == ["necessary", "analytics"]
    page = client.get(f"/admin/sites/{published_site.site_key}/policies/2/publish")
    assert "Not a material change" in page.get_data(as_text=True)


SPECS = [("accept_all", {"analytics": True, "marketing": True}),
         ("reject_all", {"analytics": False, "marketing": False}),
         ("custom", {"analytics": True, "marketing": False}),
         ("withdraw", {"analytics": False, "marketing": False})]


def test_log_search_filters_and_keyset_pages(login, published_site, app):
    events = add_events(published_site, SPECS * 30, app)          # 120 events
    client = login("viewer")
    key = published_site.site_key
    html = client.get(f"/admin/sites/{key}/log").get_data(as_text=True)
    assert html.count("/log/rc_") == 50 and "Older events" in html
    # walk every page through the JSON twin; no duplicates, newest first
    seen, cursor = [], None
    while True:
        body = client.get(f"/admin/api/sites/{key}/consents",
                          query_string={"cursor": cursor} if cursor else {}).get_json()
        seen += [item["seq"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == list(range(120, 0, -1))
    analytics_yes = client.get(f"/admin/api/sites/{key}/consents",
                               query_string={"category": "analytics", "decision": "true"})
    assert {i["action"] for i in analytics_yes.get_json()["items"]} == {"accept_all", "custom"}
    shorthand = client.get(f"/admin/api/sites/{key}/consents",
                           query_string={"choice": "marketing=false", "action": "custom"})
    assert len(shorthand.get_json()["items"]) == 30
    one = client.get(f"/admin/api/sites/{key}/consents",
                     query_string={"receipt": events[5].receipt_id}).get_json()["items"]
    assert [i["receipt_id"] for i in one] == [events[5].receipt_id]
    today = datetime.now(UTC).date()
    empty = client.get(f"/admin/api/sites/{key}/consents", query_string={
        "from": (today - timedelta(days=9)).isoformat(),
        "to": (today - timedelta(days=1)).isoformat()}).get_json()
    assert empty["items"] == []
    assert len(client.get(f"/admin/api/sites/{key}/consents", query_string={
        "version": "1", "from": today.isoformat(), "to": today.isoformat()}
    ).get_json()["items"]) == 50
    assert client.get(f"/admin/sites/{key}/log?action=bogus").status_code == 422
    assert client.get(f"/admin/sites/{key}/log?cursor=!!!").status_code == 422
    # The JSON and CSV views refuse a bad filter instead of answering with no rows.
    bad = client.get(f"/admin/api/sites/{key}/consents", query_string={"action": "bogus"})
    assert bad.status_code == 422 and "action" in bad.get_json()["errors"]
    bad_csv = client.get(f"/admin/sites/{key}/log.csv", query_string={"action": "bogus"})
    assert bad_csv.status_code == 422 and bad_csv.mimetype == "text/html"


def test_search_sql_is_keyset_not_offset(app, published_site):
    f = consent_log.LogFilter(action="custom")
    query = consent_log.search_query(published_site, f, consent_log.encode_cursor(
        ConsentEvent(recorded_at=datetime.now(UTC), id=10)))
    sql = str(query.compile(db.engine))
    assert query._offset_clause is None
    assert "(consent_event.recorded_at, consent_event.id) < (" in sql
    assert "ORDER BY consent_event.recorded_at DESC, consent_event.id DESC" in sql


def test_event_detail_verifies_hash_and_chain(login, published_site, app):
    first, second, third = add_events(published_site, SPECS[:3], app)
    client = login("viewer")
    key = published_site.site_key
    html = client.get(f"/admin/sites/{key}/log/{second.receipt_id}").get_data(as_text=True)
    assert "✓ The stored hash matches" in html and "✓ Linked to the previous event" in html
    assert first.receipt_id in html and third.receipt_id in html
    db.session.execute(update(ConsentEvent).where(ConsentEvent.id == second.id)
                       .values(choices={"necessary": True, "analytics": True,
                                        "marketing": True}))
    db.session.commit()
    html = client.get(f"/admin/sites/{key}/log/{second.receipt_id}").get_data(as_text=True)
    assert "does NOT match" in html
    assert client.get(f"/admin/sites/{key}/log/rc_nope").status_code == 404


def test_log_export_is_audited(login, published_site, app):
    add_events(published_site, SPECS, app)
    resp = login("viewer").get(f"/admin/sites/{published_site.site_key}/log.csv?action=custom")
    lines = resp.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("recorded_at,receipt_id") and len(lines) == 2
    assert "analytics=1;" in lines[1] or "analytics=1" in lines[1]
    owner = login("owner")
    audit = owner.get(f"/admin/sites/{published_site.site_key}/audit").get_data(as_text=True)
    assert "consent_log.export" in audit and "viewer@example.fi" in audit


def test_stats_counts_rates_and_rollup(login, published_site, app):
    events = add_events(published_site, SPECS * 2 + SPECS[:1], app)    # 9 events
    # move four events to three days ago so they land in the rollup
    old = datetime.now(UTC) - timedelta(days=3)
    db.session.execute(update(ConsentEvent).where(
        ConsentEvent.id.in_([e.id for e in events[:4]])).values(recorded_at=old))
    db.session.commit()
    client = login("viewer")
    key = published_site.site_key
    data = client.get(f"/admin/sites/{key}/stats.json").get_json()
    assert len(data["days"]) == 30 and data["totals"]["total"] == 9
    assert data["totals"]["accept_all"] == 3 and data["totals"]["withdraw"] == 2
    analytics = data["totals"]["categories"]["analytics"]
    assert analytics["granted"] == 5 and analytics["seen"] == 9
    assert abs(analytics["rate"] - 5 / 9) < 1e-3
    assert data["totals"]["categories"]["preferences"]["rate"] is None
    by_day = {d["date"]: d["total"] for d in data["days"]}
    assert by_day[old.date().isoformat()] == 4
    assert db.session.scalar(select(ConsentDaily.events).where(
        ConsentDaily.day == old.date(), ConsentDaily.action == "accept_all")) == 1
    # the rollup and the live query agree
    again = daily_stats(published_site, old.date(), datetime.now(UTC).date())
    assert again["totals"]["total"] == 9
    html = client.get(f"/admin/sites/{key}/stats").get_data(as_text=True)
    assert "<svg" in html and "<rect" in html and "55.6 %" in html
    assert client.get(f"/admin/sites/{key}/stats?from=2025-02-01&to=2025-01-01").status_code == 422
    assert client.get(f"/admin/sites/{key}/stats.json?from=bad").status_code == 422


def test_superuser_global_audit(login, published_site):
    assert "site.create" in login("super").get("/admin/audit").get_data(as_text=True)
    assert login("owner").get("/admin/audit").status_code == 404
