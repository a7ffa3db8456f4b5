"""Banner texts in Finnish, Swedish and English (keys: docs/interfaces.md).

The first layer names the purposes the site actually declared; each category's text
lists the site's services. The texts are written for each language, not translated word
for word. ``{service}`` in ``embed_placeholder`` is filled in by the banner script.
"""

from __future__ import annotations

from collections.abc import Iterable

CATEGORY_ORDER = ("necessary", "preferences", "analytics", "marketing")
DEFAULT_CATEGORIES = ("necessary", "analytics", "marketing")

_PURPOSE = {  # what optional cookies are used for, as a phrase that fits the first layer
    "fi": {"preferences": "valintojesi muistamiseen", "analytics": "sivuston käytön mittaamiseen",
           "marketing": "markkinoinnin kohdentamiseen"},
    "sv": {"preferences": "komma ihåg dina val", "analytics": "mäta hur webbplatsen används",
           "marketing": "rikta vår marknadsföring"},
    "en": {"preferences": "remember your choices", "analytics": "measure how the site is used",
           "marketing": "target our marketing"},
}
_AND = {"fi": "ja", "sv": "och", "en": "and"}

_CATEGORY = {
    "fi": {
        "necessary": ("Välttämättömät", "Pitävät sivuston toiminnassa: esimerkiksi tietoturva,"
                      " ostoskori ja tämä evästevalintasi. Näitä ei voi kytkeä pois."),
        "preferences": ("Toiminnalliset", "Muistavat valintasi, kuten kielen, ja mahdollistavat"
                        " lisätoimintoja, kuten chatin tai upotetun kartan."),
        "analytics": ("Tilastointi", "Kertovat meille, miten sivustoa käytetään, jotta voimme"
                      " parantaa sitä. Tiedot käsitellään koosteina."),
        "marketing": ("Markkinointi", "Auttavat näyttämään sinua kiinnostavaa mainontaa tällä ja"
                      " muilla sivustoilla sekä mittaamaan mainonnan tuloksia."),
    },
    "sv": {
        "necessary": ("Nödvändiga", "Behövs för att webbplatsen ska fungera, till exempel för"
                      " säkerheten, varukorgen och ditt val av kakor. De kan inte stängas av."),
        "preferences": ("Funktionella", "Kommer ihåg dina val, som språk, och möjliggör extra"
                        " funktioner, som chatt eller inbäddade kartor."),
        "analytics": ("Statistik", "Visar oss hur webbplatsen används så att vi kan göra den"
                      " bättre. Uppgifterna används sammanställda."),
        "marketing": ("Marknadsföring", "Gör det möjligt att visa dig relevant reklam här och på"
                      " andra webbplatser och att följa upp hur reklamen fungerar."),
    },
    "en": {
        "necessary": ("Necessary", "Keep the site working: security, the shopping cart and this"
                      " cookie choice, for example. They cannot be switched off."),
        "preferences": ("Preferences", "Remember your choices, such as language, and enable"
                        " extras such as chat or embedded maps."),
        "analytics": ("Analytics", "Show us how the site is used so that we can improve it. The"
                      " data is used in aggregate."),
        "marketing": ("Marketing", "Let us show you relevant advertising here and on other sites"
                      " and measure how our advertising performs."),
    },
}
_SERVICES_PREFIX = {"fi": "Palvelut", "sv": "Tjänster", "en": "Services"}

_FIXED = {
    "fi": {
        "title": "Evästeet ja yksityisyytesi",
        "accept_all": "Hyväksy kaikki", "reject_all": "Hylkää kaikki", "settings": "Asetukset",
        "save": "Tallenna valinnat", "close": "Sulje", "back": "Takaisin",
        "preferences_title": "Evästeasetukset",
        "preferences_description": "Valitse, mitkä evästeet sallit. Valinnaiset evästeet ovat"
        " pois päältä, kunnes kytket ne päälle.",
        "privacy_notice_label": "Tietosuojaseloste",
        "reopen_label": "Evästeasetukset",
        "withdraw_description": "Voit muuttaa valintaasi tai perua suostumuksesi milloin tahansa"
        " Evästeasetukset-painikkeesta. Peruminen on yhtä helppoa kuin suostuminen.",
        "gpc_honoured": "Selaimesi lähetti Global Privacy Control -signaalin, joten"
        " markkinointievästeet on kytketty pois.",
        "embed_placeholder": "Tämä sisältö tulee palvelusta {service}, joka käyttää evästeitä."
        " Sisältö näytetään vasta, kun sallit ne.",
        "embed_load": "Näytä sisältö",
        "services_label": "Palvelut", "cookies_label": "Evästeet",
        "vendor_label": "Palveluntarjoaja", "lifetime_label": "Säilytysaika",
        "always_on": "Aina käytössä",
    },
    "sv": {
        "title": "Kakor och din integritet",
        "accept_all": "Godkänn alla", "reject_all": "Avvisa alla", "settings": "Inställningar",
        "save": "Spara mina val", "close": "Stäng", "back": "Tillbaka",
        "preferences_title": "Inställningar för kakor",
        "preferences_description": "Välj vilka kakor du tillåter. De valfria kakorna är"
        " avstängda tills du slår på dem.",
        "privacy_notice_label": "Integritetspolicy",
        "reopen_label": "Kakinställningar",
        "withdraw_description": "Du kan när som helst ändra ditt val eller återkalla ditt"
        " samtycke via knappen Kakinställningar. Det är lika enkelt som att ge det.",
        "gpc_honoured": "Din webbläsare skickade en Global Privacy Control-signal, så kakor för"
        " marknadsföring är avstängda.",
        "embed_placeholder": "Innehållet kommer från {service}, som använder kakor. Det visas"
        " först när du tillåter dem.",
        "embed_load": "Visa innehållet",
        "services_label": "Tjänster", "cookies_label": "Kakor",
        "vendor_label": "Leverantör", "lifetime_label": "Lagringstid",
        "always_on": "Alltid på",
    },
    "en": {
        "title": "Cookies and your privacy",
        "accept_all": "Accept all", "reject_all": "Reject all", "settings": "Settings",
        "save": "Save my choices", "close": "Close", "back": "Back",
        "preferences_title": "Cookie settings",
        "preferences_description": "Choose which cookies you allow. Optional cookies stay off"
        " until you switch them on.",
        "privacy_notice_label": "Privacy notice",
        "reopen_label": "Cookie settings",
        "withdraw_description": "You can change your choice or withdraw your consent at any time"
        " from the Cookie settings button. Withdrawing is as easy as giving consent.",
        "gpc_honoured": "Your browser sent a Global Privacy Control signal, so marketing cookies"
        " are switched off.",
        "embed_placeholder": "This content comes from {service}, which uses cookies. It is shown"
        " only once you allow them.",
        "embed_load": "Show content",
        "services_label": "Services", "cookies_label": "Cookies",
        "vendor_label": "Vendor", "lifetime_label": "Lifetime",
        "always_on": "Always on",
    },
}

_INTRO = {
    "fi": ("Käytämme välttämättömiä evästeitä, jotta sivusto toimii.",
           "Suostumuksellasi käytämme evästeitä myös {purposes}.",
           "Voit hyväksyä tai hylätä valinnaiset evästeet tai valita tarkemmin asetuksista."
           " Voit muuttaa valintaasi milloin tahansa."),
    "sv": ("Vi använder nödvändiga kakor för att webbplatsen ska fungera.",
           "Med ditt samtycke använder vi också kakor för att {purposes}.",
           "Du kan godkänna eller avvisa de valfria kakorna eller välja närmare under"
           " Inställningar. Du kan ändra ditt val när som helst."),
    "en": ("We use necessary cookies to make this site work.",
           "With your consent we also use cookies to {purposes}.",
           "You can accept or reject the optional cookies, or choose in the settings. You can"
           " change your choice at any time."),
}
_ONLY_NECESSARY = {
    "fi": "Emme käytä valinnaisia evästeitä.",
    "sv": "Vi använder inga valfria kakor.",
    "en": "We do not use optional cookies.",
}
_RESPONSIBLE = {
    "fi": "Evästeiden käytöstä vastaa {name}.",
    "sv": "Ansvarig för kakorna är {name}.",
    "en": "{name} is responsible for these cookies.",
}


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {_AND[lang]} " + items[-1]


def build_banner_texts(categories: Iterable[str] | None, services: Iterable | None,
                       controller_name: str | None = None,
                       privacy_url: str | None = None) -> dict[str, dict]:
    """Banner texts for fi, sv and en. ``categories``: category ids used (necessary is always
    included; empty or None means a site without a notice: necessary, analytics, marketing).
    ``services``: catalog ``Service`` objects."""
    cats = [c for c in CATEGORY_ORDER if c in set(categories or ())] or list(DEFAULT_CATEGORIES)
    if "necessary" not in cats:
        cats.insert(0, "necessary")
    by_cat: dict[str, list[str]] = {c: [] for c in CATEGORY_ORDER}
    for service in services or ():
        if service is not None and service.name not in by_cat[service.category]:
            by_cat[service.category].append(service.name)
            if service.category not in cats:
                cats.append(service.category)
    cats = [c for c in CATEGORY_ORDER if c in cats]
    optional = [c for c in cats if c != "necessary"]
    out: dict[str, dict] = {}
    for lang in ("fi", "sv", "en"):
        first, with_consent, choose = _INTRO[lang]
        if optional:
            purposes = _join([_PURPOSE[lang][c] for c in optional], lang)
            description = f"{first} {with_consent.format(purposes=purposes)} {choose}"
        else:
            description = f"{first} {_ONLY_NECESSARY[lang]}"
        texts = dict(_FIXED[lang])
        texts["description"] = description
        if controller_name:
            texts["preferences_description"] += " " + _RESPONSIBLE[lang].format(
                name=controller_name)
        texts["privacy_notice_url"] = privacy_url
        texts["categories"] = {}
        for cat in cats:
            title, desc = _CATEGORY[lang][cat]
            if by_cat[cat]:
                desc = f"{desc} {_SERVICES_PREFIX[lang]}: {', '.join(by_cat[cat])}."
            texts["categories"][cat] = {"title": title, "description": desc}
        out[lang] = texts
    return out


BANNER_KEYS = (
    "title", "description", "accept_all", "reject_all", "settings", "save", "close", "back",
    "preferences_title", "preferences_description", "privacy_notice_label",
    "privacy_notice_url", "reopen_label", "withdraw_description", "gpc_honoured",
    "embed_placeholder", "embed_load", "services_label", "cookies_label", "vendor_label",
    "lifetime_label", "always_on", "categories",
)
