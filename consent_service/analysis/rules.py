"""Controller name, business id and notice date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from . import lexicon as lx
from .text import Document

# --- business ids -------------------------------------------------------------------------

_Y_RE = re.compile(r"(?<![\d-])(\d{6,7})-(\d)(?![\d-])")
_VAT_FI_RE = re.compile(r"\bFI ?(\d{8})\b")
_SE_ORG_RE = re.compile(r"(?<![\d-])(\d{6})-?(\d{4})(?![\d-])")
_LABEL_RE = re.compile(lx.BUSINESS_ID_LABEL, re.IGNORECASE)


def y_tunnus_valid(value: str) -> bool:
    """Finnish business id ``1234567-8`` with its modulo-11 check digit."""
    m = re.fullmatch(r"(\d{7})-(\d)", value)
    if not m:
        return False
    total = sum(int(d) * w for d, w in zip(m.group(1), (7, 9, 10, 5, 8, 4, 2), strict=True))
    rest = total % 11
    if rest == 1:
        return False
    return int(m.group(2)) == (0 if rest == 0 else 11 - rest)


def se_orgnr_valid(value: str) -> bool:
    """Swedish organisation number ``556677-8899`` (Luhn over the ten digits)."""
    digits = re.sub(r"\D", "", value)
    if len(digits) != 10:
        return False
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


@dataclass
class IdHit:
    value: str
    start: int
    end: int
    labelled: bool
    valid: bool


def find_business_ids(doc: Document) -> list[IdHit]:
    text = doc.text
    hits: list[IdHit] = []
    labels = [m.end() for m in _LABEL_RE.finditer(text)]

    def labelled(pos: int) -> bool:
        return any(0 <= pos - end <= 25 for end in labels)

    for m in _Y_RE.finditer(text):
        value = m.group(1).zfill(7) + "-" + m.group(2)
        hits.append(IdHit(value, m.start(), m.end(), labelled(m.start()), y_tunnus_valid(value)))
    for m in _VAT_FI_RE.finditer(text):
        value = m.group(1)[:7] + "-" + m.group(1)[7]
        if y_tunnus_valid(value):
            hits.append(IdHit(value, m.start(), m.end(), labelled(m.start()), True))
    for m in _SE_ORG_RE.finditer(text):
        if labelled(m.start()):
            value = f"{m.group(1)}-{m.group(2)}"
            hits.append(IdHit(value, m.start(), m.end(), True, se_orgnr_valid(value)))
    # an unlabelled, unchecked number is a phone or order number, not a business id
    return [h for h in hits if h.labelled or h.valid]


# --- controller ---------------------------------------------------------------------------

_CAP = r"[A-ZÅÄÖÜ0-9][\w&'’.\-]*"
_NAME_RE = re.compile(
    rf"(?<![\w-])((?:{_CAP}|&|and|ja|och)(?:[ ]+(?:{_CAP}|&|and|ja|och)){{0,5}})[ ,]+"
    rf"((?:{lx.LEGAL_FORMS})(?:[ ]+(?:Ab|Oy|Ltd))?)(?![\w])"
)
_CTRL_KW_RE = re.compile(lx.CONTROLLER_KEYWORDS, re.IGNORECASE)
_OPERATOR_BEFORE_RE = re.compile(rf"\b(?:{lx.OPERATOR_BEFORE})\s+(?:the\s+)?", re.IGNORECASE)
_OPERATOR_AFTER_RE = re.compile(lx.OPERATOR_AFTER)
_CTRL_HEADING_RE = re.compile(
    r"^\W*(?:\d+\.?\s*)?(?:rekisterinpitäjä|rekisterin pitäjä|rekisterinpitäjän yhteystiedot|"
    r"personuppgiftsansvarig|registeransvarig|data controller|controller|the controller)"
    r"(?:\s+(?:ja|och|and)\s+\w+)?\W*$", re.IGNORECASE)
# "Personuppgiftsansvarig: X", "The controller is X", "Rekisterinpitäjä on X"
_CTRL_INLINE_RE = re.compile(
    r"\b(?:rekisterinpitäjä|rekisterin pitäjä|personuppgiftsansvarig|registeransvarig|"
    r"(?:data )?controller)(?:\s*:\s*|\s+(?:on|är|is)\s+)(?:the\s+)?", re.IGNORECASE)
_NAME_LABEL_RE = re.compile(
    rf"^\W*(?:{lx.NAME_LABEL}|{lx.CONTROLLER_KEYWORDS})\s*:\s*", re.IGNORECASE)
_FORM_END_RE = re.compile(rf"\s(?:{lx.LEGAL_FORMS})(?![\w])")


def _cut_at_form(start: int, end: int, text: str) -> tuple[int, int]:
    """A name ends at its legal form ("X Oy Katu 1" is X Oy and an address)."""
    m = _FORM_END_RE.search(text, start, end)
    return (start, m.end()) if m else (start, end)
_WE_RE = re.compile(lx.WE_MARKER, re.IGNORECASE)
# the site's maker credited ("Sivuston on tehnyt X Oy", "Webbdesign: X AB") is not its controller
_CREDIT_RE = re.compile(
    r"(?:tehnyt|toteutta\w*|toteutus|suunnittel\w*|design\w*|made by|created by|developed by|"
    r"powered by|built by|utvecklad av|skapad av|producerad av|gjord av)\W+(?:\w+\W+){0,2}$",
    re.IGNORECASE)
_WORD_RE = re.compile(r"[\w&'’.\-–]+")
_CONNECTORS = frozenset("of och ja and & – - för i".split())


def org_name_at(text: str, pos: int, limit: int = 120) -> tuple[int, int] | None:
    """The span of an organisation's or person's name starting at ``pos``: capitalised words,
    lower-case organisation nouns ("Helsingfors stad") and connectors between capitalised
    words ("City of Helsinki"); ends at punctuation."""
    chunk = text[pos : pos + limit]
    words = []
    for m in _WORD_RE.finditer(chunk):
        between = chunk[words[-1][1] if words else 0 : m.start()]
        if words and between.strip():
            break  # a comma, parenthesis or colon ends the name
        w = m.group(0).rstrip(".")
        if not words:
            if not w[:1].isupper():
                return None
        elif not (w[:1].isupper() or w.lower() in lx.ORG_NOUNS or w.lower() in _CONNECTORS):
            break
        words.append((m.start(), m.start() + len(w)))
        if m.group(0).endswith(".") and w.lower() not in ("oy", "ab", "ltd", "inc", "r.y"):
            break
    while words and chunk[words[-1][0] : words[-1][1]].lower() in _CONNECTORS:
        words.pop()
    if not words or len(words) > 10:
        return None
    return pos + words[0][0], pos + words[-1][1]


def _structural_names(doc: Document) -> list[tuple[int, int, float]]:
    """Names stated as operator or owner ("operated by X", "drivs av X", "X:n omistuksessa"),
    or written under a controller heading or in its "Nimi:" / "Name:" row."""
    text = doc.text
    out: list[tuple[int, int, float]] = []
    for m in _OPERATOR_BEFORE_RE.finditer(text):
        span = org_name_at(text, m.end())
        if span:
            out.append((*span, 8.0))
    for m in _OPERATOR_AFTER_RE.finditer(text):
        seg_start = max(text.rfind(". ", 0, m.start()) + 2, m.start() - 80)
        before = text[seg_start : m.start()]
        words = list(re.finditer(r"[A-ZÅÄÖ][\w\-–]*(?:\s+[\w\-–]+){0,5}$", before))
        if words:
            out.append((seg_start + words[-1].start(), m.start(), 8.0))
    for m in _CTRL_INLINE_RE.finditer(text):
        span = org_name_at(text, m.end())
        if span:
            out.append((*span, 6.0))
    segs = doc.segments
    for i, seg in enumerate(segs):
        if not _CTRL_HEADING_RE.match(seg.text):
            continue
        for nxt in segs[i + 1 : i + 4]:
            label = _NAME_LABEL_RE.match(nxt.text)
            body_start = nxt.start + (label.end() if label else 0)
            body = text[body_start : nxt.end]
            cut = re.search(r"\s*[(,]|\s+\d", body)
            body_end = body_start + (cut.start() if cut else len(body))
            name = text[body_start:body_end].strip()
            if label or (name[:1].isupper() and len(name.split()) <= 10
                         and not name.endswith((".", ":")) and "@" not in name):
                if name and name[:1].isupper():
                    out.append((body_start, body_start + len(name), 8.0))
                break
    return out


@dataclass
class Controller:
    name: str | None
    business_id: str | None
    name_span: tuple[int, int] | None = None
    id_hit: IdHit | None = None
    invalid_ids: list[IdHit] | None = None


def _clean_name(words: list[str]) -> list[str]:
    # keep what follows the last sentence end, label or number ("Päivitetty 1.2.2020. X Oy")
    for i in range(len(words) - 1, -1, -1):
        w = words[i]
        if w.endswith((".", ":")) or re.fullmatch(r"[\d.,:/-]+", w):
            words = words[i + 1 :]
            break
    while words and (words[0].lower().strip(".:") in lx.NAME_STOPWORDS or words[0] in "&"):
        words = words[1:]
    while words and words[-1].lower() in ("ja", "och", "and", "&"):
        words = words[:-1]
    return words


def _is_vendor(name: str, vendor_names: set[str]) -> bool:
    """A service vendor named near the controller keyword (Google LLC, Meta Platforms) is a
    processor, not the controller."""
    lower = name.lower()
    first = lower.split()[0] if lower.split() else ""
    return first in vendor_names or any(v in lower for v in vendor_names if len(v) > 4)


def find_controller(doc: Document, vendor_names: set[str]) -> Controller:
    text = doc.text
    ids = find_business_ids(doc)
    valid_ids = [h for h in ids if h.valid]
    keyword_ends = [m.end() for m in _CTRL_KW_RE.finditer(text)]
    candidates: dict[str, dict] = {}
    matches = [
        (seg.start + m.start(1), m) for seg in doc.segments for m in _NAME_RE.finditer(seg.text)
    ]
    for base, m in matches:
        words = _clean_name(m.group(1).split())
        if not words:
            continue
        name = " ".join(words) + " " + m.group(2)
        start = base + m.group(1).rfind(" ".join(words))
        end = base + (m.end(2) - m.start(1))
        if text[start:end] != name:  # collapsed separators such as ", Oy": quote as written
            name = text[start:end]
        if _is_vendor(name, vendor_names) or _CREDIT_RE.search(text[max(0, start - 50) : start]):
            continue
        c = candidates.setdefault(name, {"score": 0.0, "spans": [], "first": start})
        if _WE_RE.match(text[end : end + 40]):
            c["score"] += 6  # the organisation that says "we"
        c["spans"].append((start, end))
        c["score"] += 1.0 if len(c["spans"]) <= 3 else 0.0
        if any(0 <= start - k <= 40 for k in keyword_ends):
            c["score"] += 5
        if any(0 <= h.start - end <= 120 for h in valid_ids):
            c["score"] += 4
    for start, end, score in _structural_names(doc):
        start, end = _cut_at_form(start, end, text)
        name = text[start:end]
        if _is_vendor(name, vendor_names):
            continue
        key = next((k for k in candidates if k in name or name in k), name)
        c = candidates.setdefault(key, {"score": 0.0, "spans": [(start, end)], "first": start})
        if key != name and len(name) > len(key) and key in name:
            candidates[name] = candidates.pop(key)
            c = candidates[name]
            c["spans"].insert(0, (start, end))
        c["score"] += score
    if not candidates:
        best_id = max(valid_ids, key=lambda h: h.labelled, default=None)
        return Controller(None, best_id.value if best_id else None, None, best_id,
                          [h for h in ids if not h.valid])
    name, info = max(candidates.items(), key=lambda kv: (kv[1]["score"], -kv[1]["first"]))
    span = info["spans"][0]
    # the id nearest after any mention of the name, else a labelled one
    id_hit = None
    for _s, e in info["spans"]:
        near = [h for h in valid_ids if 0 <= h.start - e <= 400]
        if near:
            id_hit = min(near, key=lambda h: h.start - e)
            break
    if id_hit is None:
        labelled = [h for h in valid_ids if h.labelled]
        id_hit = labelled[0] if labelled else None
    return Controller(name, id_hit.value if id_hit else None, span, id_hit,
                      [h for h in ids if not h.valid])


# --- dates --------------------------------------------------------------------------------

_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    # Swedish
    "januari": 1, "februari": 2, "mars": 3, "maj": 5, "juni": 6, "juli": 7, "augusti": 8,
    "oktober": 10,
    # Finnish (partitive, as in "21. kesäkuuta 2022")
    "tammikuuta": 1, "helmikuuta": 2, "maaliskuuta": 3, "huhtikuuta": 4, "toukokuuta": 5,
    "kesäkuuta": 6, "heinäkuuta": 7, "elokuuta": 8, "syyskuuta": 9, "lokakuuta": 10,
    "marraskuuta": 11, "joulukuuta": 12,
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(
    r"(?P<iso>(?P<y1>(?:19|20)\d\d)-(?P<m1>\d{1,2})-(?P<d1>\d{1,2}))"
    r"|(?P<dmy>(?P<d2>\d{1,2})\.\s?(?P<m2>\d{1,2})\.\s?(?P<y2>(?:19|20)\d\d))"
    r"|(?P<slash>(?P<d4>\d{1,2})/(?P<m4>\d{1,2})/(?P<y4>(?:19|20)\d\d))"
    rf"|(?P<mdy>(?P<mn3>{_MONTH_ALT})\.?\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y3>(?:19|20)\d\d))"
    rf"|(?P<dmonth>(?P<d5>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?P<mn5>{_MONTH_ALT}),?\s+(?P<y5>(?:19|20)\d\d))",
    re.IGNORECASE,
)
_DATE_KW_RE = re.compile(lx.DATE_KEYWORDS, re.IGNORECASE)


def _to_date(m: re.Match) -> date | None:
    try:
        if m.group("iso"):
            return date(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
        if m.group("dmy"):
            return date(int(m.group("y2")), int(m.group("m2")), int(m.group("d2")))
        if m.group("slash"):
            return date(int(m.group("y4")), int(m.group("m4")), int(m.group("d4")))
        if m.group("mdy"):
            return date(int(m.group("y3")), _MONTHS[m.group("mn3").lower()], int(m.group("d3")))
        if m.group("dmonth"):
            return date(int(m.group("y5")), _MONTHS[m.group("mn5").lower()], int(m.group("d5")))
    except (ValueError, KeyError):
        return None
    return None


def find_notice_date(doc: Document, today: date) -> tuple[date | None, tuple[int, int] | None]:
    """Latest date written next to an update/creation keyword (same sentence or the next table
    cell, at most 70 characters after the keyword); dates in the future are ignored."""
    text = doc.text
    best: tuple[date, tuple[int, int]] | None = None
    kw_ends = [(m.start(), m.end()) for m in _DATE_KW_RE.finditer(text)]
    # dates are looked for only just after a keyword: the date pattern tried at every
    # position of a long notice was a third of its analysis time
    seen: dict[int, re.Match] = {}
    for _ks, ke in kw_ends:
        for m in _DATE_RE.finditer(text, ke, min(len(text), ke + 110)):
            if m.start() - ke <= 70:
                seen.setdefault(m.start(), m)
    for m in (seen[k] for k in sorted(seen)):
        d = _to_date(m)
        if d is None or d > today or d.year < 1995:
            continue
        near = [k for k in kw_ends if 0 <= m.start() - k[1] <= 70]
        if not near:
            continue
        kw_start = near[-1][0]
        between = text[kw_start : m.start()]
        if re.search(r"[.!?]\s+[A-ZÅÄÖ]", between):
            continue
        if best is None or d > best[0]:
            best = (d, (kw_start, m.end()))
    return (best[0], best[1]) if best else (None, None)
