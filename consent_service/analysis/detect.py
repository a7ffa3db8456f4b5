"""Categories, services, residue markers and transfers, found sentence by sentence."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..catalog import Catalog
from . import lexicon as lx
from .text import Document, lemma_string

_COOKIE_RE = re.compile(lx.COOKIE_WORDS)
_WEB_RE = re.compile(lx.WEB_CONTEXT)
_NEG_RE = re.compile(lx.NEGATION)
_CONTRAST_RE = re.compile(lx.CONTRAST)
_NEG_AFTER_RE = re.compile(
    lx.NEGATED_USE_AFTER + r"|^\W*(?:\w+\W+){0,2}ei (?:ole )?(?:(?:enää|lainkaan|tällä hetkellä|"
    r"myöskään) )?käytössä|^\W*(?:\w+\W+){0,2}(?:is|are) no longer (?:used|in use)|"
    r"^\W*(?:\w+\W+){0,2}används (?:inte|ej) (?:längre|heller)")
# a new clause after the negation ("..., we use X", "..., käytämme sen sijaan X") ends its scope
_NEW_CLAUSE_RE = re.compile(
    r"[,;]\s*(?:(?:but|vaan|utan|men)\s+)?(?:we|vi|me|käytämme|använder|instead|sen sijaan|"
    r"istället|tilalla|i stället)\b")
_CATEGORY_RX = {
    cat: (lx.compile_terms(t.get("strong", [])), lx.compile_terms(t.get("weak", [])))
    for cat, t in lx.CATEGORY_TERMS.items()
}
_ADS_RE = re.compile(lx.compile_terms(
    lx.CATEGORY_TERMS["marketing"]["strong"] + lx.CATEGORY_TERMS["marketing"]["weak"]).pattern)
_PRIORITY_RE = re.compile(r"välttämät|necessary|nödvändig|essential|tekni|strictly")
_DEFINITION_RE = re.compile(lx.DEFINITION_HEADING)
_HYPO_RE = re.compile(lx.HYPOTHETICAL)
_VOLITION_RE = re.compile(lx.VOLITION)
_MEASURES_MKT_RE = re.compile(lx.MEASURES_MARKETING)
_PREF_VERB_RE = re.compile(lx.PREF_VERB)
_PREF_NOUN_RE = re.compile(lx.PREF_NOUN)
_PREF_SPECIFIC_RE = re.compile(lx.PREF_SPECIFIC)
_PREF_HEADING_RE = re.compile(lx.PREF_HEADING)
_EMPTY_RE = re.compile(lx.EMPTY_SECTION)
_EMPTY_HEAD_RE = re.compile(lx.EMPTY_HEADING)
_BROWSER_RE = re.compile(lx.BROWSER_WORD)
_CONSENT_CHOICE_RE = re.compile(lx.CONSENT_CHOICE)
_ONSITE_RE = re.compile(lx.ONSITE_TECH)
_VISIT_RE = re.compile(lx.PLATFORM_VISIT)
_ADS_ON_RE = re.compile(lx.ADS_ON_PLATFORM)
_MEASURES_ADS_RE = re.compile(lx.MEASURES_ADS)
_PROFILE_URL_RE = re.compile(lx.SOCIAL_PROFILE_URL, re.I)
_GOOGLE_SPLIT = [(re.compile(p), sid) for p, sid in lx.GOOGLE_SPLIT]
_LIST_ITEM_RE = re.compile(r"^\W{0,3}(?:[-*•▪◦●■]|\d+[.)])\s")
MAX_QUOTE = 300


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    lower: str
    heading: bool
    label: bool = False  # a short cell or line without a full stop (table header, title)
    definition: bool = False  # under a heading that asks what cookies are
    section: str = ""  # the lower-case heading of the section the sentence is in
    section_no: int = 0
    _lemmas: str | None = None
    lang: str = "en"

    @property
    def lemmas(self) -> str:
        if self._lemmas is None:
            self._lemmas = lemma_string(self.text, self.lang) if self.lang == "fi" else ""
        return self._lemmas


@dataclass
class Analysis:
    doc: Document
    lang: str
    sentences: list[Sentence] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)

    def sentence_at(self, pos: int) -> Sentence:
        i = max(0, bisect.bisect_right(self.starts, pos) - 1)
        return self.sentences[i]

    def quote(self, sent: Sentence, hit_start: int | None = None, hit_end: int | None = None):
        """The sentence, or a window of it around the hit when it is long; always an exact
        substring of the normalised text."""
        if sent.end - sent.start <= MAX_QUOTE or hit_start is None:
            return self.doc.text[sent.start : min(sent.end, sent.start + MAX_QUOTE)].rstrip()
        text = self.doc.text
        a = max(sent.start, hit_start - 120)
        b = min(sent.end, (hit_end or hit_start) + 160)
        if a > sent.start:
            sp = text.find(" ", a, hit_start)
            a = sp + 1 if sp != -1 else a
        if b < sent.end:
            sp = text.rfind(" ", hit_end or hit_start, b)
            b = sp if sp != -1 else b
        return text[a:b].strip()


def build(doc: Document, lang: str) -> Analysis:
    an = Analysis(doc, lang)
    lines: dict[int, int] = {}
    for seg in doc.segments:
        lines[seg.line] = lines.get(seg.line, 0) + 1
    seg_starts = [s.start for s in doc.segments]
    section, definition, section_no = "", False, 0
    for start, end in doc.sentences:
        text = doc.text[start:end]
        seg = doc.segments[max(0, bisect.bisect_right(seg_starts, start) - 1)]
        heading = (seg.is_heading and lines[seg.line] == 1) or text.endswith("?")
        label = seg.start == start and seg.end == end and seg.is_heading
        lower = text.lower()
        # a section runs to the next heading that is not an item of a list
        if heading and not _LIST_ITEM_RE.match(text) and len(text.split()) <= 12:
            section = lower.strip("#*: ")
            definition = bool(_DEFINITION_RE.search(section))
            section_no += 1
        an.sentences.append(Sentence(start, end, text, lower, heading, label,
                                     definition=definition and not heading, section=section,
                                     section_no=section_no, lang=lang))
        an.starts.append(start)
    return an


def negated(an: Analysis, sent: Sentence, s: str, m: re.Match) -> bool:
    """A negation word shortly before the hit (with no "but/except" in between), or
    "... emme käytä" / "används inte" right after it."""
    before = s[max(0, m.start() - 70) : m.start()]
    negs = list(_NEG_RE.finditer(before))
    scope = before[negs[-1].end() :] if negs else ""
    # "jos et halua ..." / "om du inte vill ...": the visitor's wish is negated, not the use
    if negs and not _CONTRAST_RE.search(scope) and not _VOLITION_RE.search(scope) \
            and not _NEW_CLAUSE_RE.search(scope):
        return True
    if s is sent.lower and not sent.text.endswith((".", "!", "?")):
        # a table cell ("Markkinointievästeet | Ei käytössä"): read on into the next cell
        after = an.doc.text[sent.start + m.end() : sent.start + m.end() + 50].lower()
    else:
        after = s[m.end() : m.end() + 50]
    return bool(_NEG_AFTER_RE.search(after))


def _measures_ads(s: str, pos: int) -> bool:
    """The analytics verb's object is advertising ("mittaamme mainostemme tehoa")."""
    window = s[pos : pos + 30]
    ad = _ADS_RE.search(window)
    return bool(ad) and not re.search(r",| and | ja | och | sekä | samt ", window[: ad.start()])


def _preference(s: str):
    """A remembering verb and a visitor's own choice within a few words of each other, in
    either order ("muistaa kielivalintasi", "sparar valt språk", "remember your language");
    the consent choice itself is not a preference."""
    if not _PREF_VERB_RE.search(s):
        return None
    consent = _CONSENT_CHOICE_RE.search(s)
    for noun in _PREF_NOUN_RE.finditer(s):
        window = s[max(0, noun.start() - 60) : noun.end() + 60]
        if not _PREF_VERB_RE.search(window) or _BROWSER_RE.search(window):
            continue
        if consent and not _PREF_SPECIFIC_RE.fullmatch(noun.group(0)):
            continue
        return noun
    return None


def find_categories(an: Analysis) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    found: dict[str, list[str]] = {c: [] for c in _CATEGORY_RX}
    negs: dict[str, list[str]] = {c: [] for c in _CATEGORY_RX}
    empty = {x.section_no for x in an.sentences
             if _EMPTY_RE.match(x.lower) or (x.heading and _EMPTY_HEAD_RE.search(x.lower))}
    for i, sent in enumerate(an.sentences):
        if (sent.heading or sent.label) and _PREF_HEADING_RE.match(sent.lower) and not (
                sent.section_no in empty and sent.heading):
            # the category's heading counts when what follows is not "not used" and is not
            # only the consent choice
            nxt = an.sentences[i + 1] if i + 1 < len(an.sentences) else None
            if nxt is not None and not nxt.heading and not _NEG_AFTER_RE.search(nxt.lower) \
                    and not _NEG_RE.match(nxt.lower) and not _CONSENT_CHOICE_RE.search(nxt.lower):
                q = an.quote(sent)
                if q not in found["preferences"]:
                    found["preferences"].append(q)
        if sent.heading:
            continue
        # what cookies can do in general, or might do one day, is not what this site does
        general = sent.definition or bool(_HYPO_RE.search(sent.lower)) or (
            sent.section_no in empty)
        for cat, (strong, weak) in _CATEGORY_RX.items():
            if general and cat != "necessary":
                continue
            for s in (sent.lower, sent.lemmas):
                m = strong.search(s) if strong else None
                if cat == "preferences" and m is not None and _CONSENT_CHOICE_RE.search(
                        s[max(0, m.start() - 40) : m.end() + 40]):
                    m = None
                if m is None and cat == "preferences":
                    m = _preference(s)
                if m is None and weak is not None and _WEB_RE.search(sent.lower):
                    # "measure our ads" is marketing, not site analytics; "improve our
                    # marketing" with analytics is analytics, not marketing tracking
                    m = next((w for w in weak.finditer(s)
                              if not (cat == "analytics" and _measures_ads(s, w.end()))
                              and not (cat == "marketing"
                                       and _MEASURES_MKT_RE.search(s[max(0, w.start() - 40)
                                                                      : w.start()]))), None)
                if m is None:
                    continue
                start = sent.start + m.start() if s is sent.lower else None
                end = sent.start + m.end() if s is sent.lower else None
                target = negs if negated(an, sent, s, m) else found
                q = an.quote(sent, start, end)
                if q not in target[cat]:
                    target[cat].append(q)
                break
    found["necessary"].sort(key=lambda q: 0 if _PRIORITY_RE.search(q.lower()) else 1)
    return found, negs


# --- services -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """Offsets of a hit inside a sentence, shaped like a re.Match for negated()."""

    a: int
    b: int

    def start(self) -> int:
        return self.a

    def end(self) -> int:
        return self.b


@dataclass
class ServiceHit:
    id: str
    alias: str
    start: int
    end: int
    evidence: str


_INDEX_CACHE: dict[int, tuple] = {}


def _alias_index(catalog: Catalog):
    cached = _INDEX_CACHE.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    index = _build_alias_index(catalog)
    if len(_INDEX_CACHE) > 16:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[id(catalog)] = (catalog, index)
    return index


def _build_alias_index(catalog: Catalog):
    by_alias: dict[str, set[str]] = {}
    for service in catalog.services:
        for alias in service.all_aliases():
            by_alias.setdefault(alias.lower(), set()).add(service.id)
    exact_case = {a for s in catalog.services for a in s.all_aliases() if len(a) <= 4}
    alts = sorted(by_alias, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w.@/-])(" + "|".join(re.escape(a) for a in alts) + r")", re.IGNORECASE
    )
    return pattern, by_alias, exact_case


def _suffix_ok(text: str, end: int, alias: str) -> bool:
    rest = re.match(r"[^\W\d_]*", text[end : end + 12]).group(0)
    if not rest:
        return True
    if rest[0].isupper() and text[end - 1].islower():
        return True  # cells run together by the page layout: "Google AnalyticsRetention"
    # Finnish/Swedish case endings after a brand name: Leadfeederin, Hubspotissa, Googles
    return len(alias) >= 5 and len(rest) <= 4 and rest.islower()


def _platform_only(an: Analysis, sent: Sentence, alias: str) -> str | None:
    """For a bare platform brand ("Facebook", "Instagramissa"): None when the sentence is
    about code on the site (a feed, a plugin, cookies), "drop" when it is about visiting the
    platform (a profile link, "follow us", sharing) or about advertising ON it, "pixel" when
    that advertising is measured or retargeted from the site."""
    s = sent.lower
    if _ADS_ON_RE.search(s) and not _COOKIE_RE.search(s):
        return "pixel" if _MEASURES_ADS_RE.search(s) else "drop"
    if _ONSITE_RE.search(s) and not (_VISIT_RE.search(s) and not _COOKIE_RE.search(s)):
        return None
    if _COOKIE_RE.search(sent.section) and not _VISIT_RE.search(s):
        return None  # a row of the cookie section's list or table
    return "drop"


_META_BRANDS = ("facebook", "instagram", "meta")


def find_services(an: Analysis, catalog: Catalog) -> list[ServiceHit]:
    pattern, by_alias, exact_case = _alias_index(catalog)
    text = an.doc.text
    hits: dict[str, ServiceHit] = {}
    negated_ids: set[str] = set()
    found = [(m.start(1), m.end(1), m.group(1), None) for m in pattern.finditer(text)]
    for rx, sid in _GOOGLE_SPLIT:
        found += [(m.start(), m.end(), m.group(0), sid) for m in rx.finditer(text)
                  if an.sentence_at(m.start()) is an.sentence_at(m.end() - 1)]
    for start, end, surface, fixed in sorted(found, key=lambda t: (t[0], -t[1])):
        alias = surface.lower()
        if fixed is None:
            if len(surface) <= 4 and surface not in exact_case:
                continue
            if not _suffix_ok(text, end, surface) or text[end : end + 1] == "(":
                continue  # gtag( is code residue, reported as a marker
        sent = an.sentence_at(start)
        ids = [fixed] if fixed else sorted(by_alias[alias])
        stem = re.sub(r"(?:in|issa|ista|iin|ssa|sta|lla|n|s)$", "", alias)
        if fixed is None and (alias in lx.PLATFORM_BRANDS or stem in lx.PLATFORM_BRANDS):
            verdict = _platform_only(an, sent, alias)
            if verdict == "drop":
                continue
            if verdict == "pixel":
                if not alias.startswith(_META_BRANDS) or catalog.get("facebook-pixel") is None:
                    continue
                ids = ["facebook-pixel"]
        span = _Span(start - sent.start, end - sent.start)
        for sid in ids:
            if negated(an, sent, sent.lower, span):
                negated_ids.add(sid)
                continue
            if sid not in hits:
                hits[sid] = ServiceHit(sid, surface, start, end, an.quote(sent, start, end))
    # "Meta (Facebook) -pikseli": the brand inside the pixel's name is not a second service
    pixel = hits.get("facebook-pixel")
    if pixel is not None:
        for sid in ("facebook-social", "instagram"):
            h = hits.get(sid)
            if h is not None and an.sentence_at(h.start) is an.sentence_at(pixel.start):
                del hits[sid]
    # a bare brand ("Facebook") names the more specific service found ("Facebook-pikseli")
    for sid, hit in list(hits.items()):
        if " " in hit.alias or "-" in hit.alias:
            continue
        brand = hit.alias.lower()
        if any(o != sid and h.alias.lower().startswith(brand) and h.alias.lower() != brand
               for o, h in hits.items()):
            del hits[sid]
    return sorted(hits.values(), key=lambda h: h.start)


_URL_RE = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[^\s\"'<>)]*)?", re.I)
# one pass over the text for all markers: a named group per service
_MARKER_IDS = {f"m{i}": sid for i, (_p, sid) in enumerate(lx.TRACKER_MARKERS)}
_MARKER_ONE = re.compile("|".join(f"(?P<m{i}>{p})" for i, (p, _s) in enumerate(lx.TRACKER_MARKERS)))


def find_markers(an: Analysis, catalog: Catalog) -> list[tuple[str, int, int]]:
    """(service id, start, end) of code residue, tracker URLs and tracker cookie names."""
    text = an.doc.text
    out = [(_MARKER_IDS[m.lastgroup], m.start(), m.end()) for m in _MARKER_ONE.finditer(text)]
    for m in _URL_RE.finditer(text):
        if "@" in text[max(0, m.start() - 1) : m.start()]:
            continue
        if _PROFILE_URL_RE.search(m.group(0)):
            continue  # a link to a profile on a platform is not the platform's code
        service = catalog.match_url(m.group(0))
        if service is not None and service.category != "necessary":
            out.append((service.id, m.start(), m.end()))
    return sorted(out, key=lambda t: t[1])


_ROW_WORDS_RE = re.compile(lx.ROW_WORDS)
_COOKIE_TOKEN_RE = re.compile(r"(?<![\w.@/-])([_A-Za-z][\w-]{2,60})(?![\w(])")
_COOKIE_NAME_CACHE: dict[int, tuple] = {}


def _cookie_names(catalog: Catalog):
    cached = _COOKIE_NAME_CACHE.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    exact, globs = {}, []
    for service in catalog.services:
        for cookie in service.cookies:
            if cookie.name in lx.COOKIE_NAME_STOP or len(cookie.name.replace("*", "")) < 3:
                continue
            if cookie.is_pattern:
                globs.append((re.compile(re.escape(cookie.name).replace(r"\*", r"[\w-]*") + "$"),
                              service.id))
            else:
                exact.setdefault(cookie.name, service.id)
    _COOKIE_NAME_CACHE.clear()
    _COOKIE_NAME_CACHE[id(catalog)] = (catalog, (exact, globs))
    return exact, globs


def _row_of(an: Analysis, pos: int) -> tuple[int, int]:
    """The span of the table row (one source line, all its cells) that holds ``pos``."""
    segs = an.doc.segments
    i = max(0, bisect.bisect_right([s.start for s in segs], pos) - 1)
    line = segs[i].line
    a = b = i
    while a > 0 and segs[a - 1].line == line:
        a -= 1
    while b + 1 < len(segs) and segs[b + 1].line == line:
        b += 1
    return segs[a].start, segs[b].end


def find_declared_cookies(an: Analysis, catalog: Catalog) -> list[tuple[str, int, int, str]]:
    """(service id, start, end, evidence) for catalog cookie names written in a declaration
    row: beside a lifetime, a provider or expiry column, or in a section about cookies."""
    exact, globs = _cookie_names(catalog)
    text = an.doc.text
    out = []
    for m in _COOKIE_TOKEN_RE.finditer(text):
        name = m.group(1)
        sid = exact.get(name)
        if sid is None and ("_" in name or "-" in name):
            sid = next((g for rx, g in globs if rx.match(name)), None)
        if sid is None:
            continue
        row_a, row_b = _row_of(an, m.start())
        sent = an.sentence_at(m.start())
        context = text[row_a:row_b] if row_b - row_a < 600 else sent.text
        if not (_ROW_WORDS_RE.search(context.lower()) or _COOKIE_RE.search(sent.section)):
            continue
        if negated(an, sent, sent.lower, _Span(m.start() - sent.start, m.end() - sent.start)):
            continue
        a, b = (row_a, row_b) if row_b - row_a <= MAX_QUOTE else (sent.start, sent.end)
        ev = text[a:b][:MAX_QUOTE].rstrip() if b - a > MAX_QUOTE else text[a:b]
        out.append((sid, m.start(), m.end(), ev))
    return out


def is_declaration(an: Analysis, start: int, end: int) -> bool:
    """A marker inside prose about cookies or the site declares the service; a stray line of
    code or a lone token is residue."""
    sent = an.sentence_at(start)
    if "(" in an.doc.text[start:end]:
        return False
    words = len(sent.text.split())
    return words >= 6 and bool(_WEB_RE.search(sent.lower))


# --- transfers ----------------------------------------------------------------------------

_TOPIC_RE = re.compile(lx.TRANSFER_TOPIC)
_TNEG_RE = re.compile(lx.TRANSFER_NEGATED)
_TEXC_RE = re.compile(lx.TRANSFER_EXCEPTION)
_IN_EU_RE = re.compile(lx.TRANSFER_IN_EU)


def find_transfers(an: Analysis) -> tuple[bool | None, str | None, bool]:
    """(answer, evidence, topic raised). Any sentence saying data may leave the EEA → True;
    otherwise a sentence denying it (without an "unless") → False; otherwise None."""
    yes = no = None
    topic = False
    for sent in an.sentences:
        m = _TOPIC_RE.search(sent.lower)
        if not m:
            continue
        topic = True
        if sent.heading or sent.label:
            continue
        q = an.quote(sent, sent.start + m.start(), sent.start + m.end())
        if _TNEG_RE.search(sent.lower) and not _TEXC_RE.search(sent.lower):
            no = no or q
        else:
            yes = yes or q
    if yes:
        return True, yes, topic
    if no:
        return False, no, topic
    for sent in an.sentences:
        m = _IN_EU_RE.search(sent.lower)
        if m and not sent.heading and not _NEG_RE.search(sent.lower[: m.start()]):
            return False, an.quote(sent, sent.start + m.start(), sent.start + m.end()), True
    return None, None, topic
