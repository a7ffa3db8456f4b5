from datetime import date

import pytest

from consent_service.analysis import NoticeError, analyze, normalise_text
from consent_service.analysis.rules import se_orgnr_valid, y_tunnus_valid

TODAY = date(2026, 1, 15)


def run(text: str, **kw) -> dict:
    return analyze(text, today=TODAY, **kw)


def codes(result) -> set[str]:
    return {f["code"] for f in result["findings"]}


@pytest.mark.parametrize("value,ok", [("2358253-3", True), ("2358253-4", False),
                                      ("1202527-2", True), ("123456-7", False)])
def test_y_tunnus_check_digit(value, ok):
    assert y_tunnus_valid(value) is ok


def test_se_orgnr_luhn():
    assert se_orgnr_valid("559645-9551")
    assert not se_orgnr_valid("559645-9552")


@pytest.mark.parametrize(
    "line,name,bid",
    [
        ("Rekisterinpitäjä: Esimerkki Palvelut Oy, Y-tunnus: 2358253-3.", "Esimerkki Palvelut Oy",
         "2358253-3"),
        ("Rekisterinpitäjä\nEsimerkki Palvelut Oy (2358253-3)\nKatu 1", "Esimerkki Palvelut Oy",
         "2358253-3"),
        ("Personuppgiftsansvarig är Exempel Ab, FO-nummer 2358253-3.", "Exempel Ab", "2358253-3"),
        ("Exempel Konsult AB, org.nr 559645-9551, ansvarar för behandlingen.",
         "Exempel Konsult AB", "559645-9551"),
        ("The controller is Example Widgets Oy (Business ID 2358253-3).", "Example Widgets Oy",
         "2358253-3"),
        ("Controller: Example Widgets Oy, VAT FI23582533", "Example Widgets Oy", "2358253-3"),
    ],
)
def test_controller_and_business_id_forms(line, name, bid):
    text = line + "\nKäytämme evästeitä sivuston toimintaan. We use cookies. Vi använder kakor."
    result = run(text)
    assert result["controller"] == {"name": name, "business_id": bid}


def test_invalid_business_id_is_reported_not_returned():
    result = run("Rekisterinpitäjä: Esimerkki Oy, Y-tunnus 2358253-4. Käytämme evästeitä.")
    assert result["controller"]["business_id"] is None
    assert {"business-id-invalid", "business-id-missing"} <= codes(result)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Tietosuojaseloste. Päivitetty 21.6.2022. Käytämme evästeitä.", "2022-06-21"),
        ("Laatimispäivä 30.5.2021. Päivitetty 2.1.2023. Evästeet ovat käytössä.", "2023-01-02"),
        ("Dataskydd. Senast uppdaterad 2023-01-05. Vi använder kakor.", "2023-01-05"),
        ("Privacy notice. Last updated March 3, 2024. We use cookies.", "2024-03-03"),
        ("Privacy notice. Effective 3 March 2024. We use cookies.", "2024-03-03"),
        ("Tietosuoja-asetus (25.5.2018 lukien) koskee evästeitä.", None),
    ],
)
def test_notice_dates(text, expected):
    assert run(text)["notice_date"] == expected


def test_outdated_depends_on_today():
    text = "Example Oy, Y-tunnus 2358253-3. Päivitetty 1.1.2023. Käytämme evästeitä."
    assert "notice-outdated" in codes(analyze(text, today=date(2025, 6, 1)))
    assert "notice-outdated" not in codes(analyze(text, today=date(2024, 6, 1)))


@pytest.mark.parametrize(
    "text,cat",
    [
        ("Käytämme välttämättömiä evästeitä. Emme käytä markkinointievästeitä.", "marketing"),
        ("Vi använder nödvändiga kakor. Vi använder inte kakor för marknadsföring.", "marketing"),
        ("We use necessary cookies. We do not use analytics cookies.", "analytics"),
        ("Analytiikkaevästeitä emme käytä. Sivusto käyttää vain välttämättömiä evästeitä.",
         "analytics"),
    ],
)
def test_negation(text, cat):
    result = run(text)
    assert result["categories"][cat]["used"] is False
    assert result["categories"]["necessary"]["used"] is True


@pytest.mark.parametrize(
    "sentence,cat",
    [
        ("Sivustolla on käytössä analytiikkapalveluja, joiden evästeet kertovat käytöstä.",
         "analytics"),
        ("Evästetietoja hyödynnetään uudelleenmarkkinoinnissa.", "marketing"),
        ("Verkkosivulla on kävijäseuranta, joka käyttää evästeitä.", "analytics"),
        ("Webbplatsen använder marknadsföringskakor.", "marketing"),
        ("Kakor används för besöksstatistik på webbplatsen.", "analytics"),
        ("Evästeet muistavat kielivalintasi.", "preferences"),
    ],
)
def test_compounds(sentence, cat):
    assert run(sentence)["categories"][cat]["used"] is True


def test_services_with_case_endings_and_aliases():
    text = ("Käytämme evästeitä. Sivustolla on Leadfeederin seurantakoodi ja Meta-pikseli. "
            "Hubspotissa säilytämme asiakastiedot. GA4 mittaa kävijämääriä.")
    ids = [s["id"] for s in run(text)["services"]]
    assert {"leadfeeder", "facebook-pixel", "hubspot", "google-analytics"} <= set(ids)
    assert "facebook-social" not in ids


def test_negated_service_is_not_listed():
    result = run("We use cookies. We do not use Google Analytics on this site.")
    assert all(s["id"] != "google-analytics" for s in result["services"])


def test_browser_settings_and_banner_tool():
    bad = run("Käytämme evästeitä. Voit estää evästeet selaimesi asetuksista.")
    assert "browser-settings-consent" in codes(bad)
    ok = run("Käytämme evästeitä vain suostumuksellasi evästebannerin kautta. Voit myös "
             "poistaa evästeet selaimesi asetuksista.")
    assert "browser-settings-consent" not in codes(ok)
    assert "browser-settings-consent" in codes(
        run("By continuing to use this website you agree to our use of cookies."))


def test_privacy_shield_vs_dpf():
    assert "privacy-shield-cited" in codes(
        run("We use cookies. Our vendor is certified under the EU-US Privacy Shield."))
    assert "privacy-shield-cited" not in codes(
        run("We use cookies. Transfers rely on the EU-US Data Privacy Framework."))


@pytest.mark.parametrize(
    "text,value",
    [
        ("Käytämme evästeitä. Tietoja ei siirretä EU:n tai ETA:n ulkopuolelle.", False),
        ("Käytämme evästeitä. Tietoja ei siirretä EU:n ulkopuolelle, ellei se ole tarpeen.", True),
        ("Vi använder kakor. Uppgifter kan överföras till USA.", True),
        ("We use cookies. We do not transfer personal data outside the EEA.", False),
        ("We use cookies for the shopping cart.", None),
    ],
)
def test_transfers(text, value):
    assert run(text)["transfers_outside_eea"] is value


def test_marker_residue():
    result = run("fbpx\nTietosuojaseloste. Käytämme evästeitä sivuston toimintaan.")
    finding = next(f for f in result["findings"] if f["code"] == "undeclared-tracker-marker")
    assert finding["evidence"] == "fbpx"
    assert " / " in finding["message"]  # Finnish and English


def test_not_a_notice():
    result = run("Mix the butter and sugar, add the eggs and bake for twenty minutes.")
    assert codes(result) == {"not-a-notice"}
    assert not any(c["used"] for c in result["categories"].values())


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "empty"),
        ("   \n\t ", "empty"),
        (b"%PDF-1.7\n\x00\x01binary", "binary"),
        (b"\x00\x01\x02\x03" * 100, "binary"),
        (b"a" * (2 * 1024 * 1024 + 1), "too-large"),
    ],
)
def test_bad_input(data, code):
    with pytest.raises(NoticeError) as exc:
        analyze(data)
    assert exc.value.code == code
    assert exc.value.message


def test_encodings_and_html():
    text = "Tietosuojaseloste. Käytämme evästeitä ja Google Analyticsia. Päivitetty 1.2.2025."
    for raw in (text.encode("cp1252"), text.encode("utf-16"), text.encode("utf-8")):
        result = run(raw)
        assert result["language"] == "fi"
        assert result["services"][0]["id"] == "google-analytics"
    html = f"<html><body><p>{text}</p><script>gtag('js')</script></body></html>"
    assert normalise_text(html) == text
    assert "gtag" not in normalise_text(html)


def test_normalise_collapses_whitespace():
    assert normalise_text("a\n\n b\t\tc   d") == "a b c d"
