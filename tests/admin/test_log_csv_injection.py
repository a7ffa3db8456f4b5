"""The admin consent-log CSV applies the OWASP CSV-injection rule (issue 20)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from consent_service.extensions import db
from consent_service.models import ConsentEvent

from .conftest import add_events


def test_log_csv_cells_are_neutralised(login, published_site, app):
    add_events(published_site, [("accept_all", {"analytics": True, "marketing": True})], app)
    db.session.execute(update(ConsentEvent).values(ua_family="=HYPERLINK(\"http://x\")",
                                                   client_ip="+1", page_url="-2"))
    db.session.commit()
    resp = login("viewer").get(f"/admin/sites/{published_site.site_key}/log.csv")
    row = next(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert row["ua_family"] == "'=HYPERLINK(\"http://x\")"
    assert row["client_ip"] == "'+1" and row["page_url"] == "'-2"
    assert row["action"] == "accept_all"
