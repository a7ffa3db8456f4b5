"""What the visits saw, set against the notice and the published policy: services, unknown
third parties and findings (codes from the workspace contract shared/contracts/site-scan.md)."""

from __future__ import annotations

from datetime import datetime

from ..catalog import load_catalog
from .matching import NECESSARY, classify_visit, cookie_lifetime_days, lifetime_excessive

VISITS = ("before_consent", "after_accept", "after_reject")
SEVERITY = {
    "tracker-before-consent": "high", "tracker-after-reject": "high", "no-consent-banner": "high",
    "reject-missing-first-layer": "high", "undeclared-service": "high",
    "service-not-in-policy": "medium", "static-embed-iframe": "medium",
    "worker-request": "medium", "cookie-lifetime-excessive": "low", "worker-started": "info",
    "declared-not-seen": "info",
}
ORDER = list(SEVERITY)

MESSAGES = {
    "tracker-before-consent": {
        "en": "{name} was contacted or set its cookies before the visitor made any choice.",
        "fi": "{name} ladattiin tai se asetti evästeitä ennen kuin kävijä teki valintaa.",
        "sv": "{name} kontaktades eller satte kakor innan besökaren gjort något val.",
    },
    "tracker-after-reject": {
        "en": "{name} was still contacted or set cookies after the visitor rejected all.",
        "fi": "{name} ladattiin tai se asetti evästeitä, vaikka kävijä hylkäsi kaikki.",
        "sv": "{name} kontaktades eller satte kakor trots att besökaren avvisade alla.",
    },
    "no-consent-banner": {
        "en": "The site uses services that need consent ({name}) but no consent banner was found.",
        "fi": "Sivusto käyttää suostumusta vaativia palveluja ({name}), mutta "
              "evästebanneria ei löytynyt.",
        "sv": "Webbplatsen använder tjänster som kräver samtycke ({name}) men ingen "
              "samtyckesbanner hittades.",
    },
    "reject-missing-first-layer": {
        "en": "The consent banner has no reject choice on its first layer.",
        "fi": "Evästebannerin ensimmäisellä tasolla ei ole hylkäysvaihtoehtoa.",
        "sv": "Samtyckesbannern saknar ett val att avvisa på sin första nivå.",
    },
    "undeclared-service": {
        "en": "{name} is used on the site but the privacy notice does not name it.",
        "fi": "Sivustolla käytetään palvelua {name}, mutta tietosuojaseloste ei mainitse sitä.",
        "sv": "{name} används på webbplatsen men dataskyddsbeskrivningen nämner den inte.",
    },
    "service-not-in-policy": {
        "en": "{name} is used on the site but the published policy does not list it, so the "
              "banner cannot ask for consent to it.",
        "fi": "Sivustolla käytetään palvelua {name}, mutta julkaistu käytäntö ei sisällä sitä, "
              "joten banneri ei voi pyytää siihen suostumusta.",
        "sv": "{name} används på webbplatsen men den publicerade policyn listar den inte, så "
              "bannern kan inte be om samtycke till den.",
    },
    "declared-not-seen": {
        "en": "{name} is declared in the {source} but was not seen during the scan.",
        "fi": "{name} on ilmoitettu ({source}), mutta sitä ei havaittu skannauksessa.",
        "sv": "{name} anges ({source}) men sågs inte under skanningen.",
    },
    "static-embed-iframe": {
        "en": "{name} is embedded with a static <iframe src> in the page's HTML: the browser "
              "loads it before any script, the banner included, can hold it back. Use the "
              "opt-in markup <iframe data-category=\"{category}\" data-src=\"…\">.",
        "fi": "{name} on upotettu sivun HTML:ään tavallisella <iframe src> -elementillä: selain "
              "lataa sen ennen kuin mikään skripti, banneri mukaan lukien, ehtii pysäyttää sen. "
              "Käytä suostumusta odottavaa merkintää <iframe data-category=\"{category}\" "
              "data-src=\"…\">.",
        "sv": "{name} är inbäddad med en statisk <iframe src> i sidans HTML: webbläsaren laddar "
              "den innan något skript, bannern inräknad, hinner hålla tillbaka den. Använd "
              "märkningen som väntar på samtycke <iframe data-category=\"{category}\" "
              "data-src=\"…\">.",
    },
    "worker-request": {
        "en": "{name} was contacted from a service worker: requests that workers make are out "
              "of reach of page scripts, the banner's blocking included.",
        "fi": "Palveluun {name} otettiin yhteyttä service workerista: workerien pyynnöt ovat "
              "sivun skriptien, myös bannerin eston, ulottumattomissa.",
        "sv": "{name} kontaktades från en service worker: förfrågningar som workers gör når "
              "sidans skript, bannerns blockering inräknad, inte.",
    },
    "worker-started": {
        "en": "The page starts a {kind} ({url}); the banner's blocking does not reach the "
              "requests it makes, so check what it contacts.",
        "fi": "Sivu käynnistää {kind}-skriptin ({url}); bannerin esto ei tavoita sen pyyntöjä, "
              "joten tarkista, mihin se ottaa yhteyttä.",
        "sv": "Sidan startar en {kind} ({url}); bannerns blockering når inte dess "
              "förfrågningar, så kontrollera vad den kontaktar.",
    },
    "cookie-lifetime-excessive": {
        "en": "The cookie {cookie} of {name} lives about {days} days, longer than 13 months.",
        "fi": "Palvelun {name} eväste {cookie} säilyy noin {days} päivää, yli 13 kuukautta.",
        "sv": "Kakan {cookie} från {name} lever cirka {days} dagar, längre än 13 månader.",
    },
}
SOURCES = {"notice": {"en": "privacy notice", "fi": "tietosuojaseloste", "sv":
                      "dataskyddsbeskrivning"},
           "policy": {"en": "published policy", "fi": "julkaistu käytäntö", "sv":
                      "publicerad policy"}}


def site_language(lang: str | None) -> str:
    return lang if lang in ("fi", "sv") else "en"


def finding(code: str, lang: str, *, service=None, evidence: str | None = None,
            **fields) -> dict:
    fields.setdefault("name", service.name if service is not None else "")
    if "source" in fields:
        fields["source_local"] = SOURCES[fields["source"]][lang]
        fields_en = dict(fields, source=SOURCES[fields["source"]]["en"])
        fields_local = dict(fields, source=fields["source_local"])
    else:
        fields_en = fields_local = fields
    en = MESSAGES[code]["en"].format(**fields_en)
    local = MESSAGES[code][lang].format(**fields_local)
    return {
        "code": code, "severity": SEVERITY[code],
        "service": service.id if service is not None else None,
        "message": en if lang == "en" else f"{en} / {local}",
        "message_en": en, "message_local": local, "language": lang,
        "evidence": evidence,
    }


def compare(raw: dict, site_domain: str, *, notice_services: list[str] | None = None,
            policy_services: list[str] | None = None, at: datetime) -> dict:
    catalog = load_catalog()
    lang = site_language(raw.get("language"))
    visits = raw["visits"]
    seen: dict[str, dict] = {}  # service id -> {seen_in, evidence}
    unknown: dict[str, dict] = {}
    per_visit: dict[str, dict] = {}
    for kind in VISITS:
        visit = visits.get(kind)
        if visit is None:
            continue
        found = classify_visit(visit, site_domain)
        per_visit[kind] = found
        visit["services"] = sorted(found["services"])
        for sid, ev in found["services"].items():
            entry = seen.setdefault(sid, {"seen_in": [], "evidence": ev["evidence"]})
            entry["seen_in"].append(kind)
        for dom, count in found["unknown"].items():
            entry = unknown.setdefault(dom, {"domain": dom, "requests": 0, "seen_in": []})
            entry["requests"] += count
            entry["seen_in"].append(kind)

    notice_set = set(notice_services) if notice_services is not None else None
    policy_set = set(policy_services) if policy_services is not None else None
    services = []
    for sid, entry in seen.items():
        svc = catalog.get(sid)
        services.append({
            "id": sid, "name": svc.name, "category": svc.category,
            "seen_in": entry["seen_in"], "evidence": entry["evidence"],
            "declared_in_notice": None if notice_set is None else sid in notice_set,
            "in_policy": None if policy_set is None else sid in policy_set,
        })
    services.sort(key=lambda s: (s["category"] == NECESSARY, s["id"]))

    findings: list[dict] = []
    tracking = [s for s in services if s["category"] != NECESSARY]
    before = per_visit.get("before_consent", {"services": {}})["services"]
    for s in tracking:
        if s["id"] in before:
            findings.append(finding("tracker-before-consent", lang, service=catalog.get(s["id"]),
                                    evidence=before[s["id"]]["evidence"]))
    if "after_reject" in per_visit:
        after = classify_visit(visits["after_reject"], site_domain, after_choice_only=True)
        for s in tracking:
            if s["id"] in after["services"]:
                findings.append(finding("tracker-after-reject", lang,
                                        service=catalog.get(s["id"]),
                                        evidence=after["services"][s["id"]]["evidence"]))
    banner = raw["banner"] or {}
    if tracking and not banner.get("found"):
        names = ", ".join(s["name"] for s in tracking)
        findings.append(finding("no-consent-banner", lang, name=names,
                                evidence=tracking[0]["evidence"]))
    if banner.get("found") and not banner.get("reject_on_first_layer"):
        findings.append(finding("reject-missing-first-layer", lang,
                                evidence=f"banner: {banner.get('cmp')}"))
    for s in tracking:
        svc = catalog.get(s["id"])
        if notice_set is not None and s["id"] not in notice_set:
            findings.append(finding("undeclared-service", lang, service=svc,
                                    evidence=s["evidence"]))
        if policy_set is not None and s["id"] not in policy_set:
            findings.append(finding("service-not-in-policy", lang, service=svc,
                                    evidence=s["evidence"]))
    reported: set[str] = set()
    for source, declared in (("notice", notice_set), ("policy", policy_set)):
        for sid in sorted(declared or ()):
            svc = catalog.get(sid)
            if svc is not None and sid not in seen and sid not in reported:
                reported.add(sid)
                findings.append(finding("declared-not-seen", lang, service=svc,
                                        evidence=source, source=source))
    findings += _lifetimes(visits, lang, at)
    findings += _workers_and_static_embeds(visits, lang)
    findings.sort(key=lambda f: ORDER.index(f["code"]))
    return {"services": services, "unknown_third_parties": sorted(
        unknown.values(), key=lambda u: (-u["requests"], u["domain"])), "findings": findings}


def _workers_and_static_embeds(visits: dict, lang: str) -> list[dict]:
    """Issue 23: what the banner's in-page blocking cannot stop. Static iframes of catalog
    embeds load before any script runs; requests of workers are out of page scripts' reach."""
    catalog, out = load_catalog(), []
    first = visits.get("before_consent") or {}
    done: set[str] = set()
    for frame in first.get("static_iframes", []):
        svc = catalog.match_url(frame["url"])
        if svc is not None and svc.category != NECESSARY and svc.id not in done:
            done.add(svc.id)
            out.append(finding("static-embed-iframe", lang, service=svc,
                               evidence=f"{frame['page']}: <iframe src=\"{frame['url']}\">",
                               category=svc.category))
    done = set()
    for kind in VISITS:
        for req in (visits.get(kind) or {}).get("requests", []):
            if not req.get("service_worker"):
                continue
            svc = catalog.match_url(req["url"]) if req["url"].startswith("http") else None
            if svc is not None and svc.category != NECESSARY and svc.id not in done:
                done.add(svc.id)
                out.append(finding("worker-request", lang, service=svc, evidence=req["url"]))
    seen_urls: set[str] = set()
    for worker in first.get("workers", []):
        if worker["url"] not in seen_urls:
            seen_urls.add(worker["url"])
            kind = "ServiceWorker" if worker["kind"] == "service_worker" else "Worker"
            out.append(finding("worker-started", lang, evidence=worker["url"], kind=kind,
                               url=worker["url"]))
    return out


def _lifetimes(visits: dict, lang: str, at: datetime) -> list[dict]:
    out, done = [], set()
    for kind in VISITS:
        for cookie in (visits.get(kind) or {}).get("cookies", []):
            svc = load_catalog().match_cookie(cookie["name"])
            if svc is None or svc.category == NECESSARY or cookie["name"] in done:
                continue
            days = cookie_lifetime_days(cookie, at)
            if lifetime_excessive(cookie, at):
                done.add(cookie["name"])
                out.append(finding("cookie-lifetime-excessive", lang, service=svc,
                                   evidence=f"{cookie['name']} expires {cookie['expires']}",
                                   cookie=cookie["name"], days=round(days)))
    return out
