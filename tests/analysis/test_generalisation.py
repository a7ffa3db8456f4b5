"""One synthetic notice (our own words, fi/sv/en) for each kind of error issue 18 fixed.

Every test also checks that each evidence quote and each finding's sentence is an exact
substring of the normalised text.
"""

from __future__ import annotations

from datetime import date

import pytest

from consent_service.analysis import analyze, normalise_text
from consent_service.analysis.evaluate import _norm
from consent_service.analysis.text import detect_language

TODAY = date(2026, 1, 15)


def run(text: str) -> dict:
    result = analyze(text, today=TODAY)
    norm = normalise_text(text)
    quotes = [q for c in result["categories"].values() for q in c["evidence"]]
    quotes += [s["evidence"] for s in result["services"]]
    quotes += [f[k] for f in result["findings"] for k in ("evidence", "sentence") if f.get(k)]
    for q in quotes:
        assert q and q in norm, q
    return result


def used(result) -> set[str]:
    return {c for c, v in result["categories"].items() if v["used"]}


def ids(result) -> set[str]:
    return {s["id"] for s in result["services"]}


def codes(result) -> set[str]:
    return {f["code"] for f in result["findings"]}


# --- preferences --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Evästeet\n\nSivusto muistaa valitsemasi kieliversion seuraavalla käynnillä evästeen avulla.",
    "Kakor\n\nVi använder funktionella kakor. De sparar dina inställningar, till exempel vilket "
    "språk du har valt.",
    "Cookies\n\nFunctional\nThese keep the layout and font size you picked between visits.",
    "Cookies\n\nSome cookies remember your choices, such as the currency shown in the shop.",
])
def test_preferences_from_a_remembered_choice(text):
    assert "preferences" in used(run(text))


@pytest.mark.parametrize("text", [
    "Evästeet\n\nTallennamme evästeeseen vain evästevalintasi, jotta evästebanneri ei näy "
    "joka kerta.",
    "Kakor\n\nEn nödvändig kaka sparar ditt val i kakbannern i tolv månader.",
    "Cookies\n\nOne necessary cookie stores your cookie consent choice for a year.",
    "Cookies\n\nAnalytics cookies store your IP address, country and language.",
    "Kakor\n\nKakan lagrar IP-adress, språk och land för statistik.",
    "Evästeet\n\nAnalytiikkaevästeet tallentavat IP-osoitteen, maan ja kielen.",
])
def test_storing_the_consent_choice_is_not_a_preference(text):
    assert "preferences" not in used(run(text))


def test_a_definition_section_declares_nothing():
    text = ("Mitä evästeet ovat?\n\nEvästeet ovat pieniä tiedostoja. Niillä voidaan muistaa "
            "asetuksia ja kohdentaa mainontaa.\n\nMitä evästeitä käytämme\n\nKäytämme vain "
            "välttämättömiä evästeitä sivuston toimintaan.")
    assert used(run(text)) == {"necessary"}


def test_a_category_heading_followed_by_not_used_declares_nothing():
    text = "Cookies we use\n\nFunctional cookies\nNone are used on this site.\n"
    assert "preferences" not in used(run(text))


@pytest.mark.parametrize("text", [
    "Evästeiden avulla keräämme tietoa sivuston käytöstä ja kehitämme palvelua.",
    "Kakorna hjälper oss att se hur besökare använder webbplatsen.",
    "Cookies tell us how visitors use our website, so we can improve it.",
])
def test_analytics_named_as_how_the_site_is_used(text):
    assert "analytics" in used(run(text))


# --- marketing and platforms --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Käytämme sivustolla vain välttämättömiä evästeitä.\n\nSeuraa meitä Instagramissa ja "
    "Facebookissa!\nhttps://www.instagram.com/esimerkkileipomo/",
    "Vi använder bara nödvändiga kakor på webbplatsen.\n\nFölj oss på Facebook: "
    "https://facebook.com/exempelbageriet",
    "We only use necessary cookies on this site.\n\nFollow us on Instagram and LinkedIn.\n"
    "Instagram\nLinkedIn",
    "Käytämme vain välttämättömiä evästeitä. Tykkää meistä Facebookissa!",
    "Vi använder bara nödvändiga kakor. Hitta oss på Facebook och Instagram.",
])
def test_a_social_profile_link_is_not_a_service(text):
    result = run(text)
    assert ids(result) == set()
    assert "marketing" not in used(result)


@pytest.mark.parametrize("text", [
    "Käytämme välttämättömiä evästeitä. Mainostamme tuotteitamme Facebookissa ja Instagramissa.",
    "Vi använder nödvändiga kakor. Vi annonserar på Facebook och Instagram.",
    "We use necessary cookies. We advertise our courses on Facebook and Instagram.",
])
def test_advertising_on_a_platform_is_not_its_code(text):
    assert not ids(run(text)) & {"facebook-social", "instagram", "facebook-pixel"}


@pytest.mark.parametrize("text", [
    "Käytämme evästeitä. Mainostamme Facebookissa ja mittaamme mainosten tehoa sivustolla "
    "uudelleenmarkkinointia varten.",
    "We use cookies. We advertise on Facebook and retarget visitors of this site there.",
    "Vi använder kakor för Facebook remarketing till besökare på webbplatsen.",
])
def test_measured_or_retargeted_platform_ads_are_the_meta_pixel(text):
    result = run(text)
    assert "facebook-pixel" in ids(result)
    assert "marketing" in used(result)


def test_an_embedded_feed_is_the_platform_and_an_embed_declares_no_category():
    result = run("Evästeet\n\nEtusivulla on upotettu Instagram-syöte, joka asettaa evästeitä "
                 "vasta suostumuksesi jälkeen. Evästebannerista voit muuttaa valintaasi.")
    assert "instagram" in ids(result)
    assert "marketing" not in used(result)
    assert result["banner"]["en"]  # the banner still offers the embed's category


# --- the browser-settings finding -----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Evästeet\n\nSivusto käyttää evästeitä kävijätilastoihin. Voit estää evästeet selaimesi "
    "asetuksista.",
    "Kakor\n\nWebbplatsen använder kakor för statistik. Om du inte vill ha kakor kan du "
    "stänga av dem i din webbläsare.",
    "Cookies\n\nThis site uses cookies for statistics. If you prefer not to receive them, you "
    "can block cookies in your browser settings.",
    "Cookies\n\nBy continuing to browse this site you agree to our use of cookies.",
    "Kakor\n\nGenom att besöka webbplatsen med en webbläsare som tillåter kakor godkänner du "
    "att vi använder dem.",
    "Evästeet\n\nKäytämme evästeitä. Voit hallita evästeitä oman selaimesi kautta.",
    "Kakor\n\nVi använder kakor. De flesta webbläsare låter dig blockera kakor.",
    "Cookies\n\nWe use cookies for statistics. Most browsers allow you to refuse cookies.",
    "Uutiskirje lähetetään suostumuksesi perusteella.\n\nEvästeet\n\nSivusto käyttää "
    "evästeitä kävijätilastoihin. Voit estää evästeet selaimesi asetuksista.",
])
def test_browser_settings_as_the_only_choice(text):
    result = run(text)
    assert "browser-settings-consent" in codes(result)
    finding = next(f for f in result["findings"] if f["code"] == "browser-settings-consent")
    assert finding["sentence"]


@pytest.mark.parametrize("text", [
    "Evästeet\n\nAnalytiikkaevästeet asetetaan vain, jos hyväksyt ne evästebannerissa. Voit "
    "myös poistaa evästeet selaimesi asetuksista.",
    "Kakor\n\nDu väljer vilka kakor du godkänner i kakinställningarna. Du kan även radera "
    "kakor i din webbläsare.",
    "Cookies\n\nYou choose in our cookie banner. You can also delete cookies in your browser.",
    "Evästeet\n\nVoit muuttaa valintaasi sivun alareunan Cookie-asetukset-linkistä tai "
    "estää evästeet selaimesi asetuksista.",
    "Cookies\n\nSession cookies are deleted when you close the browser window.",
    "Evästeet\n\nAnalytiikkaevästeet otetaan käyttöön vasta suostumuksellasi, ja voit "
    "muuttaa suostumustasi milloin tahansa. Evästeet voi myös poistaa selaimen asetuksista.",
    "Cookies\n\nWe set statistics cookies only if you consent. You can also block cookies "
    "in your browser.",
])
def test_a_consent_mechanism_or_a_mere_description_is_not_the_finding(text):
    assert "browser-settings-consent" not in codes(run(text))


# --- controller -----------------------------------------------------------------------------

@pytest.mark.parametrize("text,name", [
    ("1. Rekisterinpitäjä\nPohjolan Purjehdusseura\nSatamatie 3, 00990 Helsinki\n\n"
     "Käytämme evästeitä.", "Pohjolan Purjehdusseura"),
    ("Personuppgiftsansvarig\tStrandbyns kommun\nAdress\tTorget 1\n\nVi använder kakor.",
     "Strandbyns kommun"),
    ("This website is owned and maintained by Maija Meikäläinen. We use cookies for "
     "statistics.", "Maija Meikäläinen"),
    ("Webbplatsen drivs av Exempelby stad. Vi använder kakor för statistik.",
     "Exempelby stad"),
    ("Tunturipaja Oy (\"me\") käyttää sivustollaan evästeitä. Rekisterinpitäjän "
     "kumppanina toimii Google Ireland Ltd.", "Tunturipaja Oy"),
    ("Personuppgiftsansvarig: Fjällbygdens Ekonomisk förening, Storgatan 4.\n\n"
     "Vi använder kakor.", "Fjällbygdens Ekonomisk förening"),
    ("Sivustoa ylläpitää Järvenpään Puutyö Oy. Käytämme evästeitä.", "Järvenpään Puutyö Oy"),
    ("Pohjolan Kalastus Oy käyttää evästeitä. Site made by Pixelpaja Oy.",
     "Pohjolan Kalastus Oy"),
])
def test_controller_from_headings_rows_and_operator_lines(text, name):
    assert run(text)["controller"]["name"] == name


@pytest.mark.parametrize("text", [
    "Rekisterinpitäjä on sivuston omistaja. Käytämme Google Analyticsia, jonka tarjoaa "
    "Google LLC.",
    "Controller: see the contact page. We use Google Analytics, provided by Google Inc.",
    "Käytämme evästeitä. Sivuston ulkoasun on tehnyt Mainostoimisto Esimerkki Oy.",
    "Webbdesign: Kodverkstan AB. Vi använder kakor.",
])
def test_a_vendor_near_the_controller_word_is_not_the_controller(text):
    assert run(text)["controller"]["name"] is None


def test_names_compare_modulo_legal_form_punctuation():
    assert _norm("Example Ltd.") == _norm("example ltd") == _norm("Example  Ltd")
    assert _norm("Oskari – Esimerkki ry") == _norm("oskari esimerkki ry")


# --- services -------------------------------------------------------------------------------

@pytest.mark.parametrize("text,sid", [
    ("Sivustolla käytetään Googlen palveluita (Maps, Analytics) kävijämäärien seurantaan.",
     "google-analytics"),
    ("Vi mäter besök med Google:s verktyg Analytics och sparar kakor i två år.",
     "google-analytics"),
    ("We load gtag.js for visitor statistics only after consent.", "google-analytics"),
    ("Kävijätilastot kerätään GA4:llä evästeiden avulla.", "google-analytics"),
    ("Käytämme Facebook remarketing -toimintoa sivuston kävijöiden tavoittamiseen.",
     "facebook-pixel"),
    ("The Meta pixel on our pages measures which ads led to a purchase.", "facebook-pixel"),
])
def test_service_aliases_and_split_names(text, sid):
    assert sid in ids(run(text))


@pytest.mark.parametrize("text", [
    "Käytämme Google Fonts -palvelua ja omaa analytiikkaa sivuston kehittämiseen.",
    "We use Google Fonts and our own self-hosted analytics.",
])
def test_google_and_analytics_apart_but_not_one_product(text):
    assert "google-analytics" not in ids(run(text))


def test_the_brand_inside_a_pixels_name_is_not_a_second_service():
    result = run("Käytämme Meta (Facebook) -pikseliä mainonnan kohdentamiseen sivustolla.")
    assert ids(result) == {"facebook-pixel"}


def test_the_visitors_wish_negated_is_not_the_service_negated():
    text = ("Kakor\n\nOm du inte vill att dina besök syns i Google Analytics kan du installera "
            "ett tillägg.")
    assert "google-analytics" in ids(run(text))


@pytest.mark.parametrize("text,want", [
    ("Käytämme evästeitä. Emme käytä Google Analyticsia, käytämme sen sijaan Matomoa "
     "kävijätilastoihin.", {"matomo"}),
    ("Vi använder kakor. Vi använder inte Google Analytics, istället använder vi Matomo.",
     {"matomo"}),
    ("We use cookies. We do not use Google Analytics, Hotjar or the Facebook pixel here.",
     set()),
    ("Käytämme evästeitä. Google Analytics ei ole enää käytössä sivustollamme.", set()),
    ("We use cookies. Google Analytics is no longer used on this site.", set()),
])
def test_negation_scope_ends_at_a_new_clause_and_covers_a_list(text, want):
    assert ids(run(text)) == want


def test_a_hypothetical_tool_is_not_used():
    text = ("Cookies\n\nWe use only necessary cookies. If we introduce analytics cookies in the "
            "future, we will ask for consent first.")
    assert used(run(text)) == {"necessary"}


HTML_TABLE = """<html><body><h2>Evästeilmoitus</h2>
<table><tr><th>Nimi</th><th>Tarjoaja</th><th>Tarkoitus</th><th>Voimassa</th></tr>
<tr><td>_ga</td><td>Google</td><td>Erottaa kävijät toisistaan</td><td>2 vuotta</td></tr>
<tr><td>_fbp</td><td>Meta</td><td>Mainosten kohdentaminen</td><td>3 kuukautta</td></tr>
<tr><td>hubspotutk</td><td>HubSpot</td><td>Kävijän tunnistus</td><td>6 kuukautta</td></tr>
</table></body></html>"""

TEXT_TABLE = """Kakor vi använder

| Namn | Leverantör | Syfte | Lagringstid |
|---|---|---|---|
| _clck | Microsoft | Statistik över besök | 1 år |
| vuid | Vimeo | Uppspelning av inbäddade videor | 2 år |
"""


@pytest.mark.parametrize("text,want", [
    (HTML_TABLE, {"google-analytics", "facebook-pixel", "hubspot"}),
    (TEXT_TABLE, {"microsoft-clarity", "vimeo"}),
])
def test_cookie_declaration_tables_are_read_as_rows(text, want):
    result = run(text)
    assert want <= ids(result)
    assert "undeclared-tracker-marker" not in codes(result)


def test_a_lone_cookie_name_outside_a_declaration_is_not_a_service():
    assert ids(run("Käytämme välttämättömiä evästeitä. Muuttuja vuid esiintyy koodissa.")) == set()


# --- transfers ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,want", [
    ("Palvelun palvelimet sijaitsevat Suomessa. Käytämme evästeitä.", False),
    ("Tjänstens servrar finns i Irland. Vi använder kakor.", False),
    ("Your data may be processed outside your country, where privacy laws may be less "
     "protective. We use cookies.", True),
    ("We use cookies. Our provider may transfer the data to servers in the US.", True),
    ("Käytämme evästeitä. Tiedot säilytetään EU:n alueella.", False),
    ("We use cookies for statistics.", None),
])
def test_transfers_from_where_data_is_kept(text, want):
    assert run(text)["transfers_outside_eea"] is want


# --- text handling --------------------------------------------------------------------------

@pytest.mark.parametrize("text,lang", [
    ("Käytämme sivustolla evästeitä, jotta voimme kehittää palvelua ja tietää kävijämäärät.",
     "fi"),
    ("Vi använder kakor på webbplatsen för att kunna förbättra den och räkna besökare.", "sv"),
    ("We use cookies on this website so that we can improve it and count our visitors.", "en"),
])
def test_language_from_function_words(text, lang):
    assert detect_language(text) == lang


def test_hard_wrapped_lines_are_one_sentence():
    text = ("Evästeet\n\nSivusto ei käytä\nmarkkinointievästeitä eikä\nmainosten "
            "kohdentamista.\n")
    assert "marketing" not in used(run(text))


# --- consent-tool declarations ----------------------------------------------------------------

CMP_EMPTY = """Cookie policy

Required
These make the shop work at all.
Cookie\tDuration\tDescription
shop_session\tsession\tKeeps the basket between pages.

Functional
These would let the site keep extra features working for you.
Cookie\tDuration\tDescription
No cookies to display.

Advertisement
These would show you offers that fit your interests.
Cookie\tDuration\tDescription
No cookies to display.
"""

CMP_COUNTS = """<html><body><h2>Evästeilmoitus</h2>
<p>Voit muuttaa suostumustasi evästeilmoituksen kautta.</p>
<h3>Asetukset (1)</h3><p>Näillä evästeillä sivusto muistaa esimerkiksi valitsemasi kielen.</p>
<table><tr><td>site_lang</td><td>esimerkki.fi</td><td>Valittu kieli.</td>
<td>1 vuosi</td></tr></table>
<h3>Markkinointi (0)</h3><p>Näillä evästeillä seurattaisiin kävijöitä eri sivustoilla.</p>
</body></html>"""


def test_a_declared_category_without_cookies_is_not_used():
    result = run(CMP_EMPTY)
    assert used(result) == {"necessary"}


def test_category_headings_with_counts():
    result = run(CMP_COUNTS)
    assert "preferences" in used(result)
    assert "marketing" not in used(result)
    assert "browser-settings-consent" not in codes(result)
