"""Finding messages in Finnish, Swedish and English."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "browser-settings-consent": {
        "fi": "Seloste olettaa suostumuksen selaimen asetuksista tai sivuston käytön jatkamisesta."
        " Se ei ole pätevä suostumus evästeisiin: tarvitaan evästebanneri, jossa voi hyväksyä"
        " tai hylätä.",
        "sv": "Meddelandet utgår från att webbläsarens inställningar eller fortsatt användning är"
        " samtycke. Det är inte giltigt samtycke till kakor: en banner med godkänn och avvisa"
        " behövs.",
        "en": "The notice treats browser settings or continued use as consent. That is not valid"
        " consent to cookies: a banner with accept and reject choices is needed.",
    },
    "privacy-shield-cited": {
        "fi": "Seloste vetoaa EU–USA Privacy Shield -järjestelyyn, joka mitätöitiin 16.7.2020."
        " Päivitä siirtoperuste (esim. Data Privacy Framework tai vakiosopimuslausekkeet).",
        "sv": "Meddelandet hänvisar till Privacy Shield, som ogiltigförklarades 16.7.2020."
        " Uppdatera grunden för överföringen (t.ex. Data Privacy Framework eller"
        " standardavtalsklausuler).",
        "en": "The notice relies on the EU-US Privacy Shield, invalidated on 16 July 2020. Update"
        " the transfer basis (e.g. the Data Privacy Framework or standard contractual clauses).",
    },
    "controller-missing": {
        "fi": "Selosteesta ei löydy rekisterinpitäjän nimeä.",
        "sv": "Meddelandet namnger inte den personuppgiftsansvarige.",
        "en": "The notice does not name the controller.",
    },
    "business-id-missing": {
        "fi": "Rekisterinpitäjän Y-tunnusta ei mainita.",
        "sv": "Den personuppgiftsansvariges FO-nummer eller organisationsnummer saknas.",
        "en": "The controller's business id is not given.",
    },
    "business-id-invalid": {
        "fi": "Y-tunnuksen tarkistusnumero ei täsmää.",
        "sv": "FO-numrets eller organisationsnumrets kontrollsiffra stämmer inte.",
        "en": "The business id's check digit does not match.",
    },
    "no-cookie-section": {
        "fi": "Seloste kuvaa kävijöiden seurantaa, mutta siinä ei ole evästeosiota.",
        "sv": "Meddelandet beskriver spårning av besökare men har inget avsnitt om kakor.",
        "en": "The notice describes visitor tracking but has no cookie section.",
    },
    "transfers-unclear": {
        "fi": "Seloste ottaa esiin tietojen siirrot EU:n/ETA:n ulkopuolelle, mutta ei kerro"
        " selvästi, siirretäänkö tietoja.",
        "sv": "Meddelandet tar upp överföringar utanför EU/EES men säger inte tydligt om"
        " uppgifter överförs.",
        "en": "The notice raises transfers outside the EU/EEA but does not say clearly whether"
        " data is transferred.",
    },
    "harmless-cookies-claim": {
        "fi": "Seloste väittää evästeitä vaarattomiksi. Väite vähättelee seurantaa eikä korvaa"
        " suostumusta.",
        "sv": "Meddelandet påstår att kakor är ofarliga. Det förminskar spårningen och ersätter"
        " inte samtycke.",
        "en": "The notice claims cookies are harmless. That plays down tracking and does not"
        " replace consent.",
    },
    "undeclared-tracker-marker": {
        "fi": "Tekstissä on jäänne seurantakoodista ({service}), jota seloste ei mainitse.",
        "sv": "Texten innehåller rester av spårningskod ({service}) som meddelandet inte nämner.",
        "en": "The text contains residue of a tracker ({service}) that the notice does not"
        " declare.",
    },
    "notice-outdated": {
        "fi": "Selostetta ei ole päivitetty yli 24 kuukauteen ({date}).",
        "sv": "Meddelandet har inte uppdaterats på över 24 månader ({date}).",
        "en": "The notice has not been updated in over 24 months ({date}).",
    },
    "not-a-notice": {
        "fi": "Teksti ei näytä tietosuojaselosteelta tai evästekäytännöltä.",
        "sv": "Texten ser inte ut som ett dataskydds- eller kakmeddelande.",
        "en": "The text does not look like a privacy or cookie notice.",
    },
}

SEVERITY = {
    "browser-settings-consent": "high",
    "privacy-shield-cited": "high",
    "controller-missing": "high",
    "business-id-missing": "low",
    "business-id-invalid": "medium",
    "no-cookie-section": "medium",
    "transfers-unclear": "medium",
    "harmless-cookies-claim": "medium",
    "undeclared-tracker-marker": "high",
    "notice-outdated": "medium",
    "not-a-notice": "high",
}


def message(code: str, lang: str, **kw) -> tuple[str, str]:
    """(combined message, English message); the combined one leads with the notice's
    language and adds the English text."""
    texts = MESSAGES[code]
    en = texts["en"].format(**kw)
    if lang in ("fi", "sv"):
        return f"{texts[lang].format(**kw)} / {en}", en
    return en, en
