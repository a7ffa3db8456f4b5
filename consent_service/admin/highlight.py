"""Evidence quotes of a notice analysis, marked in the notice text.

The template escapes every segment; only our own <mark> elements are markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Evidence:
    n: int
    kind: str            # category | service | finding
    label: str
    quote: str
    start: int = -1      # -1: the quote is not in the text

    @property
    def found(self) -> bool:
        return self.start >= 0


@dataclass
class Segment:
    text: str
    marks: list[int] = field(default_factory=list)     # evidence numbers covering it
    anchors: list[int] = field(default_factory=list)   # evidence numbers starting here


def collect(analysis: dict) -> list[Evidence]:
    items: list[Evidence] = []

    def add(kind: str, label: str, quote) -> None:
        if isinstance(quote, str) and quote.strip():
            items.append(Evidence(len(items) + 1, kind, label, quote))

    for cat, entry in (analysis.get("categories") or {}).items():
        for quote in entry.get("evidence") or []:
            add("category", cat, quote)
    for service in analysis.get("services") or []:
        add("service", service.get("name") or service.get("id", "?"), service.get("evidence"))
    for finding in analysis.get("findings") or []:
        # the whole sentence that triggered it, where the analysis gives one
        add("finding", finding.get("code", "finding"),
            finding.get("sentence") or finding.get("evidence"))
    return items


def segments(text: str, items: list[Evidence]) -> list[Segment]:
    """Split the text at every evidence boundary; each piece knows which quotes cover it."""
    intervals = []
    for ev in items:
        ev.start = text.find(ev.quote)
        if ev.found:
            intervals.append((ev.start, ev.start + len(ev.quote), ev.n))
    points = sorted({0, len(text)} | {p for s, e, _ in intervals for p in (s, e)})
    out: list[Segment] = []
    for a, b in zip(points, points[1:], strict=False):
        marks = [n for s, e, n in intervals if s <= a and b <= e]
        anchors = [n for s, _e, n in intervals if s == a]
        if out and out[-1].marks == marks and not anchors:
            out[-1].text += text[a:b]
        else:
            out.append(Segment(text[a:b], marks, anchors))
    return out
