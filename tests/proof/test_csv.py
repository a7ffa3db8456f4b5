"""CSV exports are neutralised by the OWASP CSV-injection rule: a cell that starts with
= + - @ tab or CR gets a leading apostrophe, so a spreadsheet shows it as text."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update

from consent_service.extensions import db
from consent_service.models import ConsentEvent
from consent_service.proof.exports import csv_safe


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Chrome", "Chrome"), ("https://a.example/=x", "https://a.example/=x"), ("", ""),
    (5, 5), (None, None),
])
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_exported_cells_are_neutralised(runner, proof_site, add_events, tmp_path):
    add_events(2)
    db.session.execute(update(ConsentEvent).where(ConsentEvent.seq == 1).values(
        ua_family="=cmd|' /C calc'!A0", client_ip="@evil"))
    db.session.commit()
    out = tmp_path / "e.csv"
    result = runner.invoke(args=["export", "--site", proof_site.site_key, "--format", "csv",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["ua_family"] == "'=cmd|' /C calc'!A0" and rows[0]["client_ip"] == "'@evil"
    assert rows[1]["ua_family"] and not rows[1]["ua_family"].startswith("'")
