import json

from click.testing import CliRunner

from consent_service.analysis.banner import BANNER_KEYS, build_banner_texts
from consent_service.analysis.cli import analyze_command, evaluate_command
from consent_service.catalog import load_catalog


def test_banner_keys_and_buttons():
    catalog = load_catalog()
    texts = build_banner_texts(["necessary", "analytics"], [catalog.get("google-analytics")],
                               "Esimerkki Oy", "https://example.fi/tietosuoja")
    assert set(texts) == {"fi", "sv", "en"}
    for lang, t in texts.items():
        assert set(t) == set(BANNER_KEYS), lang
        assert set(t["categories"]) == {"necessary", "analytics"}
        assert "Google Analytics" in t["categories"]["analytics"]["description"]
        assert t["privacy_notice_url"] == "https://example.fi/tietosuoja"
    assert (texts["fi"]["accept_all"], texts["fi"]["reject_all"], texts["fi"]["settings"]) == (
        "Hyväksy kaikki", "Hylkää kaikki", "Asetukset")
    assert (texts["sv"]["accept_all"], texts["sv"]["reject_all"], texts["sv"]["settings"]) == (
        "Godkänn alla", "Avvisa alla", "Inställningar")
    assert "mittaamiseen" in texts["fi"]["description"]
    assert "markkinoin" not in texts["fi"]["description"]


def test_banner_defaults_without_notice():
    texts = build_banner_texts(None, None)
    assert list(texts["en"]["categories"]) == ["necessary", "analytics", "marketing"]
    assert texts["en"]["privacy_notice_url"] is None


def test_banner_only_necessary():
    texts = build_banner_texts(["necessary"], [])
    assert "optional" in texts["en"]["description"]
    assert list(texts["sv"]["categories"]) == ["necessary"]


def test_cli_analyze_json_text_and_errors(tmp_path):
    notice = tmp_path / "n.txt"
    notice.write_text("Esimerkki Oy, Y-tunnus 2358253-3. Käytämme evästeitä ja Hotjaria.",
                      encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(analyze_command, [str(notice)])
    assert res.exit_code == 0
    assert json.loads(res.output)["services"][0]["id"] == "hotjar"
    res = runner.invoke(analyze_command, ["--format", "text", "-"], input="We use cookies.")
    assert res.exit_code == 0 and "categories:" in res.output
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    res = runner.invoke(analyze_command, [str(empty)])
    assert res.exit_code == 2
    res = runner.invoke(analyze_command, [str(tmp_path / "missing.txt")])
    assert res.exit_code == 2


def test_cli_evaluate(tmp_path):
    from pathlib import Path

    notices = Path(__file__).resolve().parents[1] / "notices"
    res = CliRunner().invoke(evaluate_command, [str(notices), str(notices / "labels.json")])
    assert res.exit_code == 0, res.output
    assert "services" in res.output
