"""Runs the analyzer over our own labelled notices (tests/notices) and checks the scores."""

import os
from pathlib import Path

import pytest

from consent_service.analysis import analyze, normalise_text
from consent_service.analysis.evaluate import evaluate, format_report

NOTICES = Path(__file__).resolve().parents[1] / "notices"
LABELS = NOTICES / "labels.json"


def test_own_notices_score_high():
    report = evaluate(NOTICES, LABELS)
    assert report["files"] >= 20
    fields = report["fields"]
    assert fields["categories"]["f1"] >= 0.95, format_report(report)
    assert fields["services"]["f1"] >= 0.9, format_report(report)
    assert fields["controller"]["accuracy"] >= 0.95, format_report(report)
    assert fields["business_id"]["accuracy"] >= 0.95, format_report(report)
    assert fields["transfers"]["accuracy"] >= 0.85, format_report(report)
    assert fields["findings"]["f1"] >= 0.85, format_report(report)
    assert "categories" in format_report(report)


def test_language_mix_of_own_notices():
    import json

    langs = [v["lang"] for v in json.loads(LABELS.read_text(encoding="utf-8")).values()]
    assert langs.count("fi") >= 8 and langs.count("sv") >= 6 and langs.count("en") >= 6


@pytest.mark.parametrize("path", sorted(p for p in NOTICES.iterdir() if p.name != "labels.json"))
def test_every_evidence_is_a_substring_of_the_normalised_text(path):
    raw = path.read_bytes()
    text = normalise_text(raw)
    result = analyze(raw)
    quotes = [q for c in result["categories"].values() for q in c["evidence"]]
    quotes += [s["evidence"] for s in result["services"]]
    quotes += [f["evidence"] for f in result["findings"] if f["evidence"]]
    for quote in quotes:
        assert quote and quote in text, quote
    assert result["schema"] == "notice-analysis/1"
    assert set(result["banner"]) == {"fi", "sv", "en"}


# The floors of issue 18, on both real sets. In CI, shared/ is a copy beside the clone, so a
# missing folder there is a broken set-up, not a reason to skip.
SHARED = Path(__file__).resolve().parents[3] / "shared"
FLOORS = {
    ("categories", "f1"): 0.95,
    ("cat:preferences", "f1"): 0.85,
    ("services", "f1"): 0.95,
    ("controller", "accuracy"): 0.90,
    ("browser_settings", "accuracy"): 0.90,
    ("transfers", "accuracy"): 0.90,
    ("evidence", "accuracy"): 1.0,
}


@pytest.mark.parametrize("folder", ["notices", "notices-dev"])
def test_real_notice_sets_hold_their_floors(folder):
    directory = SHARED / folder
    if not (directory / "labels.json").exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{directory} is missing: CI must have shared/ beside the clone")
        pytest.skip(f"{directory} not present (the real notices live in ../shared beside the "
                    "repository; CI has them and fails without them)")
    report = evaluate(directory, directory / "labels.json")
    fields = report["fields"]
    low = {f"{field}.{measure}": round(fields[field][measure], 3)
           for (field, measure), floor in FLOORS.items() if fields[field][measure] < floor}
    assert not low, f"below floor: {low}\n" + format_report(report)


def test_floor_check_names_the_class_that_dropped(tmp_path):
    """The floors are not vacuous: a label set the analyzer cannot meet fails on its class."""
    import json

    (tmp_path / "a.txt").write_text("Käytämme evästeitä kävijätilastojen keräämiseen.",
                                    encoding="utf-8")
    labels = {"a.txt": {"categories": {"necessary": True, "preferences": True,
                                       "analytics": True, "marketing": False}}}
    (tmp_path / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    fields = evaluate(tmp_path, tmp_path / "labels.json")["fields"]
    assert fields["cat:preferences"]["recall"] == 0.0
    assert fields["cat:analytics"]["f1"] == 1.0
    assert fields["categories"]["f1"] < FLOORS[("categories", "f1")]
