"""Vocabulary per language. Patterns are regular expressions over lower-case text; most are
stems without word boundaries so that they also match inside Finnish and Swedish compounds
(``analytiikkapalveluja``, ``uudelleenmarkkinoinnissa``, ``marknadsföringskakor``). Rules
match them against the sentence and, for Finnish, against its Voikko lemmas, so inflected forms
with consonant gradation (``mainonnan`` → ``mainonta``) are found too.

STRONG terms are enough on their own; WEAK terms (marketing, statistics in general) count
only in a sentence that is about the web site, cookies or visitors (``WEB_CONTEXT``), so
that a customer register's direct-mail marketing is not taken for marketing cookies.
"""

from __future__ import annotations

import re

COOKIE_WORDS = (
    r"eväst|cookie|\bkak(?:a|an|or|orna|ornas)\b|kakor\b|kakan\b|local ?storage|paikallis\w* "
    r"tietovaras|lokal lagring|session ?storage|\bpikseli|\bpixel|seurantakood|web beacon|"
    r"verkkomajak|spårningsteknik|spårningspixl|tracking technolog|seurantatekniik|"
    r"vastaavi\w* tekniik|liknande teknik|similar technolog"
)
# visitor identifiers also count as tracking technology (a notice need not say "cookie")
IDENTIFIER_WORDS = (
    r"(?:vierailija|kävijä|selaime?)\w*\W+(?:\w+\W+){0,3}(?:yksilöiv|yksilöllistäv)\w* tunnist"
    r"|yksilöivä tunniste\w*.{0,40}(?:vierailij|kävijä|selai)|besökar-?id|unikt id för besökare"
    r"|unique (?:visitor|device|browser) (?:id|identifier)|visitor identifier"
)
WEB_CONTEXT = (
    COOKIE_WORDS + r"|sivusto|sivuill|verkkosivu|kotisivu|verkkopalvel|verkkokaup|vierailij|"
    r"kävijä|selaim|internet|verkossa|some|sosiaalis\w* medi|website|web site|\bsite\b|visitor|"
    r"browser|online|social media|webbplats|hemsida|webbsid|besökar|webbläsar|sociala medier|"
    r"nätet|digitaal|digital"
)

CATEGORY_TERMS: dict[str, dict[str, list[str]]] = {
    "necessary": {
        "strong": [COOKIE_WORDS, IDENTIFIER_WORDS],
    },
    "preferences": {
        "strong": [
            r"kielivalin|kieliasetu|kieliversio\w* muist|"
            r"muista\w* (?:\w+ ){0,3}(?:valin|asetu|kiel)"
            r"|mieltymy|toiminnallis\w* eväst|asetuseväst|preferenssieväst",
            r"språkval|språkinställning|komma ihåg (?:\w+ ){0,2}(?:val|inställning|preferens|språk)"
            r"|funktionella kakor|funktionskak|preferenskak|inställningskak|funktionella cookies",
            r"language (?:preference|selection|choice|setting)|remember (?:\w+ ){0,2}(?:preferences"
            r"|settings|choices|language)|preferences? cookies|functional(?:ity)? cookies",
        ],
    },
    "analytics": {
        "strong": [
            r"analytiik|kävijäseuran|kävijätilast|kävijämäär|verkkoanalyy|käyttöstatistiik|"
            r"käyttäytymi\w* analys|tilastointi|tilastoint|analytiikkaeväst|tilastoeväst",
            r"webbanalys|besöksstatistik|statistikkak|analyskak|analysverktyg|trafikanalys|"
            r"analytics|web analytics|statistics cookies|analytical cookies|analytic cookies|"
            r"audience measurement|performance cookies|statistikcookies|besöksanalys",
        ],
        "weak": [
            r"tilasto|analysoi|analyysi|statistiik|seuranta|seurata|mittaa|mittaroi",
            r"statistik|analys|mäta|mätning|\bstatistics|\banalys[ei]s|measure|measurement",
            r"\btrack\w* (?:visits|visitors|page views|how)|följa upp besök|följer upp besök",
            # how the site is used, named without the word statistics
            r"tieto\w* (?:\w+ ){0,2}(?:sivuston|palvelun|verkkosivu\w*|verkkopalvelu\w*) "
            r"käytöstä|miten (?:kävijät|käyttäjät|sivustoa) (?:käyttävät|käytetään)|hur "
            r"(?:besökare|användare|du|webbplatsen) (?:använder|används)|how (?:visitors|users|"
            r"you) (?:use|interact with) (?:our|the|this)",
        ],
    },
    "marketing": {
        "strong": [
            r"uudelleenmarkkin|remarketing|retargeting|mainonnan kohdent|mainosten kohdent|"
            r"kohdennet\w* mainon|kohdennet\w* mainok|markkinointieväst|mainoseväst|"
            r"mainosverko|somemainon|markkinoinnin kohdent|markkinoinnin kohdist",
            r"riktad\w* (?:reklam|annons|marknadsför)|marknadsföringskak|reklamkak|annonskak|"
            r"marknadsföringscookies|annonsnätverk|ommarknadsför",
            r"targeted (?:advertising|ads|marketing)|interest-based|personali[sz]ed (?:ads|advert)"
            r"|advertising cookies|marketing cookies|targeting cookies|ad network",
        ],
        "weak": [
            r"markkinoin|markkinoid|mainon|mainos|mainok|kohdenn|kohdent|profiloi",
            r"marknadsför|reklam|annons|målgrupp|profilering",
            r"\bmarketing|advertis|\bads\b|\btarget|profiling",
        ],
    },
}

NEGATION = r"\b(?:ei|en|et|emme|ette|eivät|eikä|eivätkä|emmekä|inte|ej|icke|aldrig|inga|ingen|inget|not|no|never|neither|nor|without|ilman|utan)\b|n't\b"  # noqa: E501
CONTRAST = r"\b(?:vaan|mutta|paitsi|ellei|kuitenkin|lukuun ottamatta|utan att|men|förutom|såvida|utom|but|except|unless|however|only)\b"  # noqa: E501
NEGATED_USE_AFTER = (
    r"^\W*(?:\w+\W+){0,2}(?:emme|ei|eivät)\s+(?:\w+\s+)?(?:käytä|käytetä|ole käytössä|aseteta|"
    r"tallenneta)|^\W*(?:\w+\W+){0,2}(?:använder vi inte|används (?:inte|ej)|förekommer inte|"
    r"sätts inte)|^\W*(?:\w+\W+){0,2}(?:are|is) not (?:used|set)|^\W*(?:\w+\W+){0,1}none\b"
)

BROWSER_SETTINGS = (
    r"selaim\w*\W+(?:\w+\W+){0,6}asetu|asetu\w*\W+(?:\w+\W+){0,4}selaim|"
    r"webbläsar\w*\W+(?:\w+\W+){0,6}inställning|inställning\w*\W+(?:\w+\W+){0,4}webbläsar|"
    r"browser\W+(?:\w+\W+){0,2}settings|settings (?:of|in|on) (?:your|the) (?:web )?browser"
)
CONTINUED_USE = (
    r"jatkamalla (?:\w+ ){0,2}(?:käyttöä|selaamista|käyttämistä)|käyttämällä (?:tätä |"
    r"sivustoa|verkkosivu|palvelua)\w*.{0,40}hyväksy|hyväksyt (?:\w+ ){0,2}evästeiden käytön|"
    r"genom att fortsätta (?:att )?(?:använda|surfa|besöka)|fortsatt användning|"
    r"godkänner du (?:\w+ ){0,3}(?:kakor|cookies)|by continuing to (?:use|browse|visit)|"
    r"continued use of (?:this|the|our)|you (?:agree|consent) to (?:our|the) use of cookies|"
    r"by using (?:this|our) (?:site|website),? you (?:agree|consent|accept)"
)
CONSENT_TOOL = (
    r"evästebanner|evästeilmoitu|evästeasetuks|evästeasetukset|suostumustyökal|evästeiden "
    r"hallin|kakbanner|cookiebanner|cookieinställning|samtyckesverktyg|cookie banner|"
    r"cookie settings|consent (?:manager|tool|banner)|cookie consent tool|cookiebot|"
    r"hyväksy kaikki|godkänn alla|accept all"
)
HARMLESS = (
    r"vaaratto|vaarattom|harmitto|eivät ole vaarallisi|ofarlig|harmlös|helt ofarliga|"
    r"harmless|pose no (?:threat|risk)|cannot harm|do not harm your"
)
PRIVACY_SHIELD = r"privacy[ -]shield"
SHIELD_DISCLAIMED = r"mitätö|kumo|pätemät|invalid|ogiltig|upphäv|no longer|ei enää|inte längre|struck down|annulled"  # noqa: E501

TRANSFER_TOPIC = (
    r"(?:\beu|\beta|euroopan|\beu:n|\beta:n|\bees|\beea|europe)\w*\W+(?:\w+\W+){0,4}"
    r"(?:ulkopuol|utanför)|utanför (?:eu|ees|europa)|outside (?:of )?(?:the )?(?:eu|eea|"
    r"european)|kolmansiin maihin|kolmanteen maahan|kolmas maa|tredje land|third countr|"
    r"yhdysvalt|yhdysvalloi|usa:han|usa:ssa|\busa\b|förenta staterna|united states|"
    r"data privacy framework|privacy[ -]shield|vakiosopimuslausek|mallisopimuslausek|"
    r"standard contractual|standardavtalsklausul|general data protection regulation chapter v"
    r"|outside (?:of )?your (?:country|jurisdiction)|\b(?:to|in) the us\b|\bu\.s\.(?!\w)"
    r"|(?:privacy|data protection) laws? (?:\w+ ){0,3}(?:not|less) (?:as )?protective"
    r"|oman maasi ulkopuol|utanför ditt (?:land|hemland)"
)
# data kept at a place inside the EU/EEA ("servers located in Ireland", "palvelimet
# sijaitsevat Suomessa", "lagras inom EU"): the answer is no when nothing says otherwise
_EU_FI = (r"suome|ruotsi|irlanni|saksa|alankomai|ranska|tanska|belgia|viro|norja|eu:n aluee|"
          r"eta-aluee|euroopan unionin aluee|eu-mai|eu:ssa|eu-alueel")
_EU_SV = r"finland|sverige|irland|tyskland|nederländerna|frankrike|danmark|belgien|estland|norge"
_EU_EN = r"finland|sweden|ireland|germany|the netherlands|france|denmark|belgium|estonia|norway"
TRANSFER_IN_EU = (
    r"(?:palvelim|konesal|sijait|säilyt|tallenne|server|servrar|hosted|located|stored|lagras|"
    r"finns|datacent|datacenter)\w*[^.]{0,80}?(?:\b(?:" + _EU_FI + r")\w*|\b(?:i|inom) (?:"
    + _EU_SV + r"|eu|ees|eu/ees)\b|\b(?:in|within) (?:" + _EU_EN + r"|the eu|the eea|the "
    r"european union)\b)"
)
TRANSFER_NEGATED = (
    r"\bei siirretä|\bei siirry|\bemme siirrä|\beivät siirry|\bei luovuteta|\bei säilytetä|"
    r"\bei käsitellä|överförs (?:inte|ej)|inte överförs|överför (?:vi )?inte|inga (?:\w+ )?"
    r"(?:överförs|lämnas)|\bnot (?:be )?transferred|\bdo not transfer|\bnever transfer|"
    r"\bno (?:personal )?data (?:is|are) transferred|does not transfer|are not processed outside"
    r"|only within the (?:eu|eea)|ainoastaan eu|vain eu|endast inom (?:eu|ees)"
)
TRANSFER_EXCEPTION = r"\bellei|\bpaitsi|lukuun ottamatta|\bunless|\bexcept|\bsåvida|\bförutom|\butom\b|\bmikäli"  # noqa: E501

NOTICE_WORDS = (
    r"tietosuoj|rekisteri|henkilötie|eväst|rekisterinpitäj|dataskydd|integritet|personuppgift|"
    r"kakor|cookie|privacy|personal data|data protection|gdpr|controller"
)

DATE_KEYWORDS = (
    r"päivitetty|päivityspäiv|päivitys|laadittu|laatimispäiv|laatimis|muutettu|viimeksi|"
    r"voimassa|voimaantulo|uppdaterad|uppdaterades|uppdatering|upprättad|senast ändrad|"
    r"reviderad|gäller från|giltig från|datum|last updated|updated|last modified|last revised|"
    r"revised|effective|created|date of|dated|version"
)

CONTROLLER_KEYWORDS = (
    r"rekisterinpitäjä|rekisterin pitäjä|yrityksen yhteystiedot|yhteystiedot|personuppgiftsansvarig"
    r"|registeransvarig|registerförare|kontaktuppgifter|data controller|controller|who we are|"
    r"contact details|company details"
)
BUSINESS_ID_LABEL = (
    r"y-?tunnus|yritystunnus|fo-?nummer|företags-?id|org\.? ?nr|organisationsnummer|business id|"
    r"business identity code|company (?:id|number|registration)|registration number|reg\.? no"
)
LEGAL_FORMS = (
    r"Oyj|Oy|OY|Ab|AB|Abp|Ky|Ay|Tmi|ry|r\.y\.|Osk|Ltd|Limited|Inc|LLC|GmbH|AS|A/S|ApS|Plc|PLC|"
    r"Oü|OÜ|S\.A\.|SA|B\.V\.|BV|Handelsbolag|HB|KB|Kommanditbolag"
)
NAME_STOPWORDS = frozenset(
    """rekisterinpitäjä rekisterinpitäjänä rekisterinpitäjän controller data the our this tämä
    me we vi denna detta personuppgiftsansvarig registeransvarig yritys yrityksen company name
    nimi namn företag företaget palveluntarjoaja toimittaja provider ja och and of by""".split()
)

# markers left behind by scraping a page: code, not prose
TRACKER_MARKERS = [
    (r"\bfbpx\b|\bfbq\(|\b_fbp\b|fbevents\.js", "facebook-pixel"),
    (r"\bgtag\(|\b_gid\b|\b_ga\b|\bUA-\d{4,10}-\d{1,3}\b|\bG-[A-Z0-9]{8,12}\b|analytics\.js",
     "google-analytics"),
    (r"\bGTM-[A-Z0-9]{5,8}\b|googletagmanager\.com/gtm", "google-tag-manager"),
    (r"\b_hjSettings\b|\bhj\(|\b_hjid\b", "hotjar"),
    (r"_linkedin_partner_id|\blintrk\b", "linkedin-insight"),
    (r"\bttq\.(?:load|page|track)\b", "tiktok-pixel"),
    (r"\b_lfa\b|\bldfdr\b", "leadfeeder"),
    (r"\b_hsq\b|\bhbspt\b|\bhubspotutk\b|\b__hstc\b", "hubspot"),
    (r"\b_paq\.push\b", "matomo"),
    (r"\bclarity\(\"set|\b_clck\b", "microsoft-clarity"),
    (r"\buetq\b|\b_uetsid\b", "microsoft-ads"),
    (r"\bpintrk\b", "pinterest"),
    (r"\bcto_bundle\b", "criteo"),
]


def compile_terms(patterns: list[str]) -> re.Pattern | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def rx(pattern: str, flags: int = 0) -> re.Pattern:
    return re.compile(pattern, flags)


# --- structure, scope and context (the rules of the sections below) -----------------------

# A heading that asks what cookies are opens a definition: what cookies *can* do there is
# not what this site does ("Mitä evästeet ovat?", "Vad är en kaka?", "What are cookies?").
DEFINITION_HEADING = (
    r"^\W*(?:\d+\.?\s*)?(?:mitä (?:ovat )?evästeet(?: ovat)?|mikä (?:on )?eväste(?: on)?"
    r"|mitä eväste tarkoittaa|vad är (?:en |ett )?(?:kaka|kakor|cookie|cookies|webbkakor?)"
    r"|vad är cookies|what (?:are|is) (?:a )?cookies?|what is a cookie)\W*$"
)
# a hypothetical or future use is not a declared one
HYPOTHETICAL = (
    r"\b(?:jos|mikäli) (?:\w+ ){0,3}(?:otamme|alamme|lisäämme) (?:\w+ ){0,3}käyttöön|"
    r"\btulevaisuudessa\b|\bom vi (?:i framtiden )?(?:inför|börjar|lägger till)|\bi framtiden\b|"
    r"\bif we (?:ever )?(?:introduce|start|add|decide|begin)|\bin the future\b"
)
# "if you do not want ..." negates the visitor's wish, not the site's use
VOLITION = r"\b(?:halua\w*|tahdo\w*|vill|önskar|want|wish)\b"
# what marketing is the object of: measuring it is analytics, not marketing tracking
MEASURES_MARKETING = (
    r"(?:improv\w*|develop\w*|effectiveness of|measur\w*|evaluat\w*|success of|how often|"
    r"tehokkuu\w*|onnistumis\w*|mitata|mittaa\w*|kuinka usein|förbättra|utveckla|effekt\w*|"
    r"utvärdera|"
    r"hur ofta)\W+(?:\w+\W+){0,4}$"
)

# --- preferences: a remembering verb and a visitor's own choice -------------------------
PREF_VERB = (
    r"muist\w*|tallen\w*|säilyt\w*|spara\w*|spar\b|lagra\w*|minn\w*|komma ihåg|kommer ihåg|"
    r"föredr\w*|remember\w*|stor(?:e|es|ed|ing)\b|sav(?:e|es|ed|ing)\b|keep\w*|prefer\w*"
)
# a choice named by what it is about (the language, the currency) is the visitor's own even
# beside consent wording; a generic "settings"/"choices" is not when the sentence is about
# consent or cookie settings
PREF_SPECIFIC = (
    r"kiel(?:esi|ivalin\w*|iasetu\w*|iversio\w*)|(?:valitsemasi|haluamasi|valitun|valittu|oman) "
    r"kiel\w*|valuut\w*|näkymä\w*|fonttikoko\w*|suodat\w*|"
    r"hakuhistori\w*|" + r"(?:valt|valda|ditt|önskat) språk|språkval\w*|språkinställning\w*|"
    r"valuta\w*|layout\w*|filter\w*|sökhistorik\w*|(?:your|preferred|chosen|selected) language|"
    r"language (?:preference|choice|selection|setting)\w*|currency|font size|search history"
)
PREF_NOUN = (
    r"kiel(?:esi|ivalin\w*|iasetu\w*|iversio\w*)|(?:valitsemasi|haluamasi|valitun|valittu|oman) "
    r"kiel\w*|valuut\w*|näkymä\w*|fonttikoko\w*|"
    r"suodat\w*|hakuhistori\w*|asetu(?:s|kse|ksi|ksia)\w*|valin(?:ta|nan|nat|toj)\w*|"
    r"mieltymy\w*|(?:valt|valda|ditt|önskat) språk|språkval\w*|språkinställning\w*|"
    r"valuta\w*|inställning\w*|\bval\b|\bvalda\b|preferens\w*|layout\w*|filter\w*|"
    r"sökhistorik\w*|(?:your|preferred|chosen|selected) language|language (?:preference|choice|"
    r"selection|setting)\w*|currency|preferences|settings|choices|font size|search history"
)
# storing the consent choice itself is necessary, not a preference
CONSENT_CHOICE = (
    r"evästeasetu|evästevalin|eväste\w* koske\w* (?:asetu|valin)|suostum|bann|cookie ?(?:consent|"
    r"preferences|settings|choices)|cookieinställning|kakinställning|samtyck|consent|"
    r"(?:kak|cookie)\w* (?:val|inställning)"
)

# --- the browser-settings finding ------------------------------------------------------------
BROWSER_WORD = r"selai|webbläsar|browser"
# the visitor is told they can do it (not "session cookies are deleted when ...")
AGENCY = (
    r"\bvoi\w*|\bpysty\w*|löydä\w*|ohje\w*|\bmiten\b|\bkan\b|\bkunna\b|sätt\w*|anvisning\w*|"
    r"instruktion\w*|\bhur\b|\bcan\b|\bmay\b|\bable\b|instruct\w*|how to|ways? to|allow\w* you|"
    r"let\w* you|mahdollista\w*|sallivat|låter dig|möjlighet\w*"
)
REFUSAL = (
    r"est\w*|kiel\w*|poist\w*|kytke\w* pois|pois päältä|hylkä\w*|rajoit\w*|muutta\w* (?:\w+ ){0,3}"
    r"asetu|lisäos\w*|liitännäi\w*|blocker\w*|block\w*|stäng\w* av|stänga av|avaktiver\w*|"
    r"inaktiver\w*|radera\w*|ta bort|vägra\w*|neka\w*|spärra\w*|ändra\w* (?:\w+ ){0,3}inställning"
    r"|hallit\w*|hantera\w*|manag\w*|control\w*|kontroller\w*|sääd\w*|säät\w*"
    r"|tillägg\w*|plugin\w*|disabl\w*|refus\w*|reject\w*|delet\w*|remov\w*|stop accepting|turn\w* "
    r"off|opt[ -]out|add-on|chang\w* (?:\w+ ){0,3}(?:settings|options)|instruct your browser"
)
# consent assumed from the browser's settings or from using the site
IMPLIED_CONSENT = (
    CONTINUED_USE
    + r"|(?:sivusto|sivu|palvelu)\w* käyttämällä (?:\w+ ){0,3}hyväksy"
    r"|genom att (?:besöka|använda|surfa)\w* (?:\w+ ){0,8}(?:godkänner|accepterar|samtycker)"
    r"|(?:samtycke|godkänner|accepterar)\w* (?:\w+ ){0,12}om (?:din )?webbläsar\w* (?:\w+ ){0,5}"
    r"(?:inställd|tillåter)|by (?:using|visiting|browsing) (?:\w+ ){0,4}you (?:agree|accept|"
    r"consent)"
    # consent read from the browser accepting cookies, in either order
    r"|(?:webbläsar|browser|selai)\w*[^.]{0,80}(?:inställd|set to|asetettu|sallii|tillåt)[^.]{0,80}"
    r"(?:godkänner du|samtycke|hyväksyt\b|you (?:consent|agree|accept)|suostumuksesi)"
    r"|(?:godkänner du|du godkänner|samtycke|hyväksyt\b|you (?:consent|agree|accept)|"
    r"suostumuksesi)[^.]{0,120}(?:webbläsar|browser|selai)\w*[^.]{0,60}(?:inställd|set to|"
    r"asetettu|sallii|tillåt)"
)
# a consent mechanism of the site's own (banner, cookie settings, a stored choice)
CONSENT_MECHANISM = (
    CONSENT_TOOL
    + r"|suostumusbann|evästeasetu|valin\w* tallenn|tallenn\w* (?:\w+ ){0,3}valin|olet hyväksynyt"
    r"|hyväksyit|kakinställning|cookie-asetu|cookieasetu|eväste-asetu|evästeiden asetu|"
    r"cookie-inställning|samtyckesinställning|cookieinställning|acceptera alla|"
    r"cookie (?:preferences|consent)|manage (?:your )?(?:cookie|consent)|reject all"
)
# the visitor's consent, asked for, given, changed or withdrawn: a mechanism when the
# sentence is about cookies or tracking (a newsletter's consent is not one)
CONSENT_WORD = (
    r"suostum|samtyck|consent|godkänn\w* (?:eller|och) (?:neka|avvisa)|"
    r"hyväksy\w* tai hylkä|accept or (?:reject|decline)"
)
# --- services ----------------------------------------------------------------------------
# brands whose bare name is a platform, not code on the site; they count only with words
# for what the site embeds or runs (a feed, a plugin, a pixel, cookies)
PLATFORM_BRANDS = frozenset(
    """facebook facebookin instagram instagramin twitter twitterin linkedin linkedinin tiktok
    pinterest snapchat youtube x-palvelu""".split()
)
ONSITE_TECH = (
    COOKIE_WORDS + r"|embed|upot|plugin|liitännäi|lisäosa|widget|feed|syöte|flöde|inbädd|"
    r"insticks|sdk|script|skript|\btag\b|tagi|seurant|tracking|spårning|remarketing|uudelleen"
    r"markkin|retarget|konversi|conversion|video|social media|sosiaalisen "
    r"median (?:lii|pain|upot)"
)
# sharing, following, a profile, messages: the visitor goes to the platform
PLATFORM_VISIT = (
    r"\bjaa\w*|jakaa|jakamis|\bseuraa\b|seuraa meitä|\bdela\w*|följ\w* oss|\bshare\w*|\bfollow\w*|"
    r"tykkää meistä|gilla oss|like us|löydät meidät|hitta oss|find us|"
    r"profiil|profil|sivu(?:mme|ltamme|llamme)|viesti|meddelande|message|\blähde|kanava|kanal|"
    r"channel|tulit|kom du|came from"
)
# advertising ON a platform: our ads there, not their code here
ADS_ON_PLATFORM = (
    r"mainost\w*|mainon\w*|mainos\w*|markkinoi\w*|mainok\w*|kampanj\w*|annonser\w*|marknadsför\w*|reklam\w*|"
    r"advertis\w*|\bads?\b|campaign\w*"
)
MEASURES_ADS = r"remarketing|uudelleenmarkkin|retarget|pikseli|pixel|konversi|conversion|mita|mäta|measur|kohdenn|målgrupp|audience"  # noqa: E501
SOCIAL_PROFILE_URL = (
    r"(?:facebook|instagram|twitter|x|linkedin|tiktok|pinterest|youtube)\.com/"
    r"(?!tr\b|tr\?|plugins|sharer|share|embed|watch|iframe|v/|events|sdk)"
)
# "Google" and a product word a few words apart: "Googlen (Analytics, Ads)" in a list
# (the words between are a list of product names or one word for "tool/service", so "Google
# Fonts and our own analytics" is not Google Analytics); matched case-sensitively
_TOOL_WORD = r"(?:verktyg|työkalu|palvelu|tjänst|tool|service|product)\w*"
_BETWEEN = (
    r"(?::\w+)?\s*(?:" + _TOOL_WORD + r"\s*)?[(,]?\s*"
    r"(?:[A-Z][\w-]*\s*[,/]\s*|[A-Z][\w-]*\s+(?:ja|och|and|&)\s+){0,4}"
    r"(?:" + _TOOL_WORD + r"\s+)?-?"
)
GOOGLE_SPLIT = [
    (r"\b[Gg]oogle\w*" + _BETWEEN + r"(?:Analytics\b|[Aa]nalytiik)", "google-analytics"),
    (r"\b(?:[Ff]acebook|[Mm]eta)\w*(?:\s*\((?:[Ff]acebook|[Mm]eta)\))?" + _BETWEEN
     + r"[a-zåäö]*(?:[Pp]ixel|[Pp]ikseli)", "facebook-pixel"),
]
EMBED_SERVICES = frozenset(
    """youtube vimeo google-maps instagram facebook-social twitter-x pinterest intercom zendesk
    giosg trustpilot""".split()
)

# --- controller ---------------------------------------------------------------------------
# the organisation that runs the site, stated as operator or owner
OPERATOR_BEFORE = (
    r"(?:owned|maintained|operated|run|published|provided|administered)(?: and (?:owned|"
    r"maintained|operated|run|published))? by|drivs av|ägs av|tillhandahålls av|förvaltas av|"
    r"ylläpitäjä(?:nä)? (?:on|toimii)|omistaja(?:na)? (?:on|toimii)|"
    r"(?:sivusto\w*|verkkosivu\w*|verkkopalvelu\w*|palvelua) (?:omistaa|ylläpitää|julkaisee)|"
    r"(?:webbplatsen|sidan|tjänsten) (?:ägs|drivs|förvaltas) (?:\w+ )?av"
)
OPERATOR_AFTER = r":n (?:omistuksessa|ylläpitämä|ylläpitämänä)|:n omistama"
# lower-case words that are part of an organisation's name
ORG_NOUNS = frozenset(
    """stad kommun region förening stiftelse kaupunki kunta yhdistys säätiö opiskelijakunta
    ylioppilaskunta seurakunta kuntayhtymä hyvinvointialue ry oy ab oyj ltd kb hb""".split()
)
NAME_LABEL = r"(?:yhdistyksen |yrityksen |organisaation )?nimi|namn|name|toiminimi|firma"
WE_MARKER = r"^\s*[(,]\s*(?:jäljempänä |hereinafter |nedan )?[\"“”'‘’]?(?:we|us|me|vi|meidän|oss)\b"

# --- cookie declaration tables --------------------------------------------------------------
# a row of a declaration (Cookiebot, CookieYes, Complianz or hand-made): a lifetime or a
# provider/expiry column beside the cookie's name
ROW_WORDS = (
    r"\b\d+\s*(?:years?|yrs?|months?|days?|hours?|minutes?|mins?|vuo\w*|v\b|kuukau\w*|kk\b|"
    r"päiv\w*|tun\w*|min\w*|år|månad\w*|mån\b|dag\w*|timm\w*|d\b|h\b)|\bsession\b|istun\w*|"
    r"sessio\w*|\bpersistent|pysyv\w*|beständig|permanent|expiry|expiration|voimassaolo|"
    r"vanhenee|säilytysaika|lagringstid|giltighet|utgång|provider|tarjoaja|palveluntarjoaja|"
    r"leverantör|duration|kesto|varaktighet"
)
# cookie names that are also ordinary words or too short to trust outside their catalog row
COOKIE_NAME_STOP = frozenset("C cid cart fr sb mid uid PREF localization csrftoken".split())

# a cookie category's own heading or table cell ("Functional", "Toiminnalliset evästeet")
PREF_HEADING = (
    r"^\W*(?:\d+\.?\s*)?(?:functional(?:ity)?(?: cookies)?|preferences?(?: cookies)?|"
    r"toiminnalliset(?: evästeet)?|toiminnallisuusevästeet|mieltymysevästeet|asetusevästeet|"
    r"funktionella(?: kakor| cookies)?|funktionskakor|inställningskakor|preferenskakor|"
    r"preferenser|asetukset|inställningar)\W*(?:\(\d+\))?\W*$"
)

# a declaration's category that lists no cookie ("No cookies to display" in CookieYes,
# Cookiebot's "(0)"): its description is boilerplate, not a declared use
EMPTY_SECTION = (
    r"^\W*(?:no cookies to display|there are no cookies|we do not use cookies of this type|"
    r"ei evästeitä(?: näytettäväksi)?|tämän tyyppisiä evästeitä ei käytetä|"
    r"ei näytettäviä evästeitä|"
    r"inga (?:kakor|cookies) att visa|vi använder inte (?:kakor|cookies) av denna typ)\W*$"
)
EMPTY_HEADING = r"\(0\)\s*$"
