"""From raw bytes or text to a normalised text with segments and sentences.

The normalised text is the extracted text with every run of whitespace collapsed to one
space. Analysis works on character offsets into it, so every evidence quote is an exact
substring of ``normalise_text(raw)``.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from charset_normalizer import from_bytes

from .errors import NoticeError

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024

_BINARY_MAGIC = (
    b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0",
    b"\x1f\x8b", b"BZh", b"7z\xbc\xaf", b"Rar!", b"\x7fELF", b"MZ",
)
_HTML_RE = re.compile(
    r"<(?:!doctype|html|head|body|p|div|br|ul|ol|li|h[1-6]|table|tr|td|th|span|a|strong|em|b|i"
    r"|section|article|main|header|footer|nav|script|style|meta|title)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCK_TAGS = (
    "p", "div", "br", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr",
    "section", "article", "main", "header", "footer", "nav", "blockquote", "pre", "dl", "dt",
    "dd", "title", "hr", "figcaption", "address", "summary", "details", "caption",
)
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # str.translate: 13 ms/notice
_WS_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f]")
# cell separators in plain-text tables, list bullets at the start of an item
_SPLIT_RE = re.compile(r"\t+| {3,}|(?=[•▪◦●■]\s)")
_SENT_END_RE = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“«(•▪–-]?\s*[A-ZÅÄÖÜ0-9])")


def decode(data: str | bytes) -> str:
    """Bytes → str (UTF-8 first, otherwise charset-normalizer); refuses binary input."""
    if isinstance(data, str):
        if len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise NoticeError("too-large", "Notice is larger than 2 MB.")
        text = data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > MAX_BYTES:
            raise NoticeError("too-large", "Notice is larger than 2 MB.")
        if not data.strip():
            raise NoticeError("empty", "Notice is empty.")
        if data.startswith(_BINARY_MAGIC) or b"\x00" in data[:8192] and not _is_utf16(data):
            raise NoticeError("binary", "Input looks like a binary file, not text or HTML.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            best = from_bytes(data).best()
            if best is None:
                raise NoticeError(
                    "undecodable", "Could not detect the text encoding of the input."
                ) from None
            text = str(best)
    else:
        raise NoticeError("unreadable", f"Unsupported input type {type(data).__name__}.")
    if not text.strip():
        raise NoticeError("empty", "Notice is empty.")
    controls = len(_CONTROL_RE.findall(text, 0, 20000))
    if "\x00" in text or controls > max(8, len(text[:20000]) // 100):
        raise NoticeError("binary", "Input looks like a binary file, not text or HTML.")
    return text


def _is_utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff")


def looks_like_html(text: str) -> bool:
    return len(_HTML_RE.findall(text[:200_000], 0)) >= 1


def html_to_text(text: str) -> str:
    """Visible text of an HTML document or of HTML fragments mixed into plain text;
    block elements become line breaks and table cells tabs."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(("td", "th")):
        tag.insert_after("\t")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return soup.get_text()


def extract_text(data: str | bytes) -> str:
    text = decode(data)
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(text):
        text = html_to_text(text)
    if not text.strip():
        raise NoticeError("empty", "Notice has no text.")
    return text


@dataclass
class Segment:
    start: int
    end: int
    text: str
    line: int  # index of the source line (segments of one table row share it)

    @property
    def is_heading(self) -> bool:
        t = self.text
        return len(t) < 120 and (t.endswith("?") or not t.endswith((".", "!", ":", ";", ",")))


@dataclass
class Document:
    text: str  # normalised text
    segments: list[Segment] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    language: str = "other"

    def quote(self, start: int, end: int) -> str:
        return self.text[start:end]


_CONTINUES_RE = re.compile(r"^[ \t]*[a-zåäöü]")
_ROW_RE = re.compile(r"\t|\||^\W{0,3}(?:[-*•▪◦●■]|\d+[.)])\s")


def unwrap(lines: list[str]) -> list[str]:
    """Hard-wrapped prose (plain text, Markdown sources) joined back into its lines: a line
    that starts in lower case continues the previous one unless that ended a sentence or is
    a table row. Whitespace collapses in the normalised text either way, so quotes do not
    change; sentences and negation scope no longer stop at the wrap."""
    out: list[str] = []
    for line in lines:
        prev = out[-1].rstrip() if out else ""
        if (prev and _CONTINUES_RE.match(line) and not prev.endswith((".", "!", "?", ":", ";"))
                and not _ROW_RE.search(prev) and not _ROW_RE.search(line)):
            out[-1] = prev + " " + line.strip()
        else:
            out.append(line)
    return out


def segment(raw_text: str) -> Document:
    parts: list[str] = []
    segments: list[Segment] = []
    pos = 0
    for line_no, line in enumerate(unwrap(raw_text.split("\n"))):
        for piece in _SPLIT_RE.split(line):
            piece = _WS_RE.sub(" ", piece).strip()
            if not piece:
                continue
            if parts:
                pos += 1  # the joining space
            segments.append(Segment(pos, pos + len(piece), piece, line_no))
            parts.append(piece)
            pos += len(piece)
    doc = Document(" ".join(parts), segments)
    for seg in segments:
        start = 0
        for m in _SENT_END_RE.finditer(seg.text):
            doc.sentences.append((seg.start + start, seg.start + m.start()))
            start = m.end()
        if start < len(seg.text):
            doc.sentences.append((seg.start + start, seg.end))
    return doc


def normalise_text(raw: str | bytes) -> str:
    """The text every evidence quote is a substring of: decoded, HTML reduced to text,
    whitespace collapsed."""
    return segment(extract_text(raw)).text


# Function words of each language: a notice is long enough that their share decides the
# language reliably, and counting them needs no dictionary (simplemma's detector loaded the
# fi/sv/en lemma dictionaries, ~450 MB, into every process that detected a language).
_FUNCTION_WORDS = {
    "fi": frozenset("""ja tai että ei ovat ole olla mukaan kuten myös sekä jotka joka jos kun
        niiden tämä tämän nämä näitä voit voi emme eikä kanssa sivuston sivustolla evästeitä
        evästeet evästeiden käytämme tietoja tiedot henkilötietoja mitä miten ovat tai vain
        esimerkiksi jonka joiden sinun meidän käyttäjän palvelun""".split()),
    "sv": frozenset("""och att är det som för på av med till inte kan vi du om eller används
        kakor den har från också eller dina din våra vår vid när hur vilka detta dessa
        webbplatsen personuppgifter även samt enligt genom""".split()),
    "en": frozenset("""the and of to is are we you for with this that our your cookies use
        not by or be which may can these such from how what when about us will website
        information data""".split()),
}
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str) -> str:
    """fi | sv | en | other, by the share of each language's function words in a sample."""
    sample = text[:8000]
    if len(text) > 16000:
        mid = len(text) // 2
        sample += " " + text[mid : mid + 4000]
    words = [w.lower() for w in _WORD_RE.findall(sample)]
    if not words:
        return "other"
    scores = {lang: sum(w in fw for w in words) / len(words)
              for lang, fw in _FUNCTION_WORDS.items()}
    lang = max(scores, key=scores.get)
    return lang if scores[lang] >= 0.06 else "other"


_TOKEN_RE = re.compile(r"[^\W\d_][\w-]*", re.UNICODE)
_VOIKKO = None
_VOIKKO_LOCK = threading.Lock()
_VOIKKO_CALL = threading.Lock()


def _voikko():
    """libvoikko with the Finnish dictionary (voikko-fi), or False when either is missing."""
    global _VOIKKO
    if _VOIKKO is None:
        with _VOIKKO_LOCK:
            if _VOIKKO is None:
                try:
                    import libvoikko

                    _VOIKKO = libvoikko.Voikko("fi")
                except Exception:  # noqa: BLE001 - library or dictionary not installed
                    log.warning("libvoikko/voikko-fi not available: Finnish words are "
                                "matched as written (apt install libvoikko1 voikko-fi)")
                    _VOIKKO = False
    return _VOIKKO


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@lru_cache(maxsize=65536)
def lemma(token: str, lang: str) -> str:
    """Lower-case base form. Finnish through Voikko, a morphological analyser (consonant
    gradation, compounds, clitics; ~7 MB and milliseconds to open). Swedish and English are
    inflected by suffixes, which the rules' stems already match, so they stay as written:
    simplemma's dictionaries cost 340 MB (fi) and 94 MB (sv) per process and changed no
    result on any labelled set."""
    token = token.lower()
    if lang != "fi":
        return token
    v = _voikko()
    if not v:
        return token
    try:
        with _VOIKKO_CALL:  # one Voikko handle is not safe to use from several threads
            analyses = v.analyze(token)
    except Exception:  # noqa: BLE001 - an analyser failure leaves the word as written
        return token
    bases = [a["BASEFORM"].lower() for a in analyses if a.get("BASEFORM")]
    # of several readings the one closest to the surface ("evästeitä" is eväste, not
    # eväs+tie): the longest common prefix, then Voikko's order
    return max(bases, key=lambda b: _common_prefix(b, token)) if bases else token


def lemma_string(sentence: str, lang: str) -> str:
    """The sentence's words as lower-case lemmas (Finnish/Swedish inflection removed), joined
    by spaces: rules match vocabulary stems against it as well as against the surface text."""
    return " ".join(lemma(t, lang) for t in _TOKEN_RE.findall(sentence.lower()))


def warm_up() -> None:
    """Open Voikko (milliseconds, a few MB)."""
    lemma("evästeitä", "fi")
