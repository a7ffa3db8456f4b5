"""``analyze()``: a privacy notice in, the notice-analysis/1 document out."""

from __future__ import annotations

import re
from datetime import date

from ..catalog import CATEGORIES, Catalog, load_catalog
from . import detect
from . import lexicon as lx
from .banner import build_banner_texts
from .messages import SEVERITY, message
from .rules import find_controller, find_notice_date
from .text import detect_language, extract_text, segment

SCHEMA = "notice-analysis/1"
OUTDATED_DAYS = 730  # 24 months
_COOKIE_RE = re.compile(lx.COOKIE_WORDS)
_NOTICE_RE = re.compile(lx.NOTICE_WORDS)
_BROWSER_RE = re.compile(lx.BROWSER_SETTINGS)
_CONTINUED_RE = re.compile(lx.CONTINUED_USE)
_TOOL_RE = re.compile(lx.CONSENT_TOOL)
_HARMLESS_RE = re.compile(lx.HARMLESS)
_SHIELD_RE = re.compile(lx.PRIVACY_SHIELD)
_SHIELD_OFF_RE = re.compile(lx.SHIELD_DISCLAIMED)
_IMPLIED_RE = re.compile(lx.IMPLIED_CONSENT)
_MECHANISM_RE = re.compile(lx.CONSENT_MECHANISM)
_CONSENT_WORD_RE = re.compile(lx.CONSENT_WORD)
_BROWSER_WORD_RE = re.compile(lx.BROWSER_WORD)
_REFUSAL_RE = re.compile(lx.REFUSAL)
_AGENCY_RE = re.compile(lx.AGENCY)


def _implies_category(service) -> bool:
    """An embed or widget (a video, a map, a chat) is named for what it shows; a tracker is
    named for what it does, so only a tracker's category counts as declared."""
    return service.id not in lx.EMBED_SERVICES


def browser_settings_sentence(an: detect.Analysis, text_lower: str):
    """The sentence that makes consent rest on the browser: consent assumed from using the
    site or from the browser accepting cookies; or, when the notice describes no consent
    mechanism of its own (banner, cookie settings, a stored choice), the browser offered as
    the way to refuse or remove cookies."""
    for sent in an.sentences:
        if _IMPLIED_RE.search(sent.lower):
            return sent
    if _MECHANISM_RE.search(text_lower) or not _COOKIE_RE.search(text_lower):
        return None
    if any(_CONSENT_WORD_RE.search(x.lower) and (_COOKIE_RE.search(x.lower)
                                               or _COOKIE_RE.search(x.section))
           for x in an.sentences):
        return None
    for sent in an.sentences:
        b = _BROWSER_WORD_RE.search(sent.lower)
        if b is None:
            continue
        r = _REFUSAL_RE.search(sent.lower)
        if r is None or not _AGENCY_RE.search(sent.lower):
            continue
        about_cookies = _COOKIE_RE.search(sent.lower) or _COOKIE_RE.search(sent.section) or \
            re.search(r"tracking|seuran|spårning", sent.lower)
        if about_cookies:
            return sent
    return None


def _finding(code: str, lang: str, evidence: str | None, **kw) -> dict:
    msg, en = message(code, lang, **kw)
    return {"code": code, "severity": SEVERITY[code], "message": msg, "message_en": en,
            "evidence": evidence}


def _sentence_of(an: detect.Analysis, evidence: str | None) -> str | None:
    """The sentence that triggered a finding (an exact substring, for the reviewer)."""
    if not evidence:
        return None
    pos = an.doc.text.find(evidence)
    if pos < 0:
        return None
    sent = an.sentence_at(pos)
    if pos + len(evidence) > sent.end:
        return evidence
    return an.quote(sent, pos, pos + len(evidence))


def _first(an: detect.Analysis, rx: re.Pattern, *, need_cookie: bool = False):
    for sent in an.sentences:
        m = rx.search(sent.lower)
        if m and (not need_cookie or _COOKIE_RE.search(sent.lower)):
            return sent, m
    return None, None


def analyze(data: str | bytes, *, today: date | None = None, catalog: Catalog | None = None
            ) -> dict:
    """Analyse a privacy notice (plain text or HTML, str or bytes in any encoding).

    Raises ``NoticeError`` for empty, binary, undecodable or > 2 MB input."""
    today = today or date.today()
    catalog = catalog or load_catalog()
    doc = segment(extract_text(data))
    lang = detect_language(doc.text)
    doc.language = lang
    an = detect.build(doc, lang)
    text_lower = doc.text.lower()

    categories = {c: {"used": False, "evidence": []} for c in CATEGORIES}
    result = {
        "schema": SCHEMA,
        "language": lang,
        "controller": {"name": None, "business_id": None},
        "notice_date": None,
        "categories": categories,
        "services": [],
        "transfers_outside_eea": None,
        "findings": [],
        "text_length": len(doc.text),
    }
    hits = detect.find_services(an, catalog)
    notice_words = len(_NOTICE_RE.findall(text_lower))
    if not hits and notice_words < 2 and not _COOKIE_RE.search(text_lower):
        result["findings"].append(_finding("not-a-notice", lang, None))
        result["banner"] = build_banner_texts([], [], None, None)
        return result

    # categories from the text, then from the services the notice names
    found, negated = detect.find_categories(an)
    services = []
    for hit in hits:
        service = catalog.get(hit.id)
        services.append({"id": service.id, "name": service.name, "category": service.category,
                         "evidence": hit.evidence})
        if _implies_category(service):
            found[service.category].append(hit.evidence)
        else:
            found["necessary"].append(hit.evidence)

    # residue: tracker code, URLs and cookie names; in prose they declare the service
    findings: list[dict] = []
    declared = {s["id"] for s in services}
    # cookie declaration tables name services by their cookies ("_ga | Google | 2 years")
    for sid, _start, _end, ev in detect.find_declared_cookies(an, catalog):
        service = catalog.get(sid)
        if sid in declared or service is None:
            continue
        services.append({"id": sid, "name": service.name, "category": service.category,
                         "evidence": ev})
        found[service.category if _implies_category(service) else "necessary"].append(ev)
        declared.add(sid)

    reported: set[str] = set()
    for sid, start, end in detect.find_markers(an, catalog):
        if sid in declared or sid in reported:
            continue
        service = catalog.get(sid)
        if service is None:
            continue
        if detect.is_declaration(an, start, end):
            sent = an.sentence_at(start)
            ev = an.quote(sent, start, end)
            services.append({"id": sid, "name": service.name, "category": service.category,
                             "evidence": ev})
            found[service.category if _implies_category(service) else "necessary"].append(ev)
            declared.add(sid)
        else:
            reported.add(sid)
            findings.append(_finding("undeclared-tracker-marker", lang, doc.text[start:end],
                                     service=service.name))

    for cat in CATEGORIES:
        ev = list(dict.fromkeys(found[cat]))[:5]
        categories[cat] = {"used": bool(ev), "evidence": ev}
    if not categories["necessary"]["used"] and any(categories[c]["used"] for c in CATEGORIES):
        first = next(categories[c]["evidence"][0] for c in CATEGORIES if categories[c]["used"])
        categories["necessary"] = {"used": True, "evidence": [first]}
    result["negated_evidence"] = {c: v[:3] for c, v in negated.items() if v}
    result["services"] = services

    vendor_brands = {a.lower() for s in catalog.services for a in s.all_aliases() if len(a) > 4}
    vendor_brands |= {v.split()[0].lower() for s in catalog.services for v in s.vendor.split("/")
                      if v.split()}
    ctrl = find_controller(doc, vendor_brands)
    result["controller"] = {"name": ctrl.name, "business_id": ctrl.business_id}
    notice_date, date_span = find_notice_date(doc, today)
    result["notice_date"] = notice_date.isoformat() if notice_date else None
    transfers, transfer_ev, topic = detect.find_transfers(an)
    result["transfers_outside_eea"] = transfers
    result["transfers_evidence"] = transfer_ev

    sent = browser_settings_sentence(an, text_lower)
    if sent is not None:
        findings.append(_finding("browser-settings-consent", lang, an.quote(sent)))
    for sent in an.sentences:
        if _SHIELD_RE.search(sent.lower) and not _SHIELD_OFF_RE.search(sent.lower):
            findings.append(_finding("privacy-shield-cited", lang, an.quote(sent)))
            break
    if ctrl.name is None:
        findings.append(_finding("controller-missing", lang, None))
    elif ctrl.business_id is None:
        findings.append(_finding("business-id-missing", lang, ctrl.name))
    for bad in ctrl.invalid_ids or []:
        if bad.labelled:
            findings.append(_finding("business-id-invalid", lang, doc.text[bad.start:bad.end]))
            break
    tracking = any(categories[c]["used"] for c in ("analytics", "marketing"))
    if tracking and not _COOKIE_RE.search(text_lower):
        findings.append(_finding("no-cookie-section", lang, None))
    if transfers is None and topic:
        findings.append(_finding("transfers-unclear", lang, None))
    sent, _ = _first(an, _HARMLESS_RE, need_cookie=True)
    if sent is not None:
        findings.append(_finding("harmless-cookies-claim", lang, an.quote(sent)))
    if notice_date and (today - notice_date).days > OUTDATED_DAYS:
        findings.append(_finding("notice-outdated", lang, doc.text[date_span[0]:date_span[1]],
                                 date=notice_date.isoformat()))
    for f in findings:
        f["sentence"] = _sentence_of(an, f["evidence"])
    result["findings"] = findings

    service_objs = [catalog.get(s["id"]) for s in services]
    # the banner offers every category a named service needs, embeds included
    used = [c for c in CATEGORIES if categories[c]["used"]
            or any(o.category == c for o in service_objs)]
    result["banner"] = build_banner_texts(used, service_objs, ctrl.name, None)
    return result
