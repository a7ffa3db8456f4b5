"""Score ``analyze()`` against a labelled folder of notices (format of labels.json:
``{file: {lang, controller, business_id, notice_date, categories: {cat: bool}, services,
services_optional, transfers_outside_eea, browser_settings_consent, findings_expected,
evidence, ...}}``). Only what a label file labels is compared: a label without
``findings_expected`` scores no findings except the browser-settings one its
``browser_settings_consent`` states.

The headline figures (the ones CI holds floors on) are those of ``../shared/notices-dev``'s
README: category micro-F1 over preferences, analytics and marketing (necessary is almost
always true and left out), F1 per category, service F1 (``services_optional`` neither
rewarded nor penalised), controller accuracy (names equal ignoring case, whitespace and
punctuation), transfers exact, the browser-settings finding present exactly when labelled,
and every evidence quote an exact substring of the normalised text.

Findings that depend on today's date (``notice-outdated``) are scored only for files whose
label gives ``today`` (ISO date); the analysis then runs with that date.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from ..catalog import CATEGORIES
from .analyzer import analyze
from .text import normalise_text

TIME_DEPENDENT = {"notice-outdated"}
SCORED_CATEGORIES = ("preferences", "analytics", "marketing")
BROWSER = "browser-settings-consent"
FIELDS = ("categories", *(f"cat:{c}" for c in CATEGORIES), "services", "controller",
          "business_id", "transfers", "browser_settings", "findings", "notice_date", "language",
          "evidence")
_PUNCT_RE = re.compile(r"[\W_]+", re.UNICODE)


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def _norm(value) -> str | None:
    """Case, whitespace and punctuation do not count ("Example Ltd." = "example ltd")."""
    if value is None:
        return None
    return " ".join(_PUNCT_RE.sub(" ", str(value).casefold()).split())


class _Counter:
    def __init__(self):
        self.tp = self.fp = self.fn = self.right = self.total = 0

    def value(self, predicted, expected) -> bool:
        """Scalar field: a wrong non-null answer is a false positive (and a miss)."""
        ok = _norm(predicted) == _norm(expected)
        self.total += 1
        self.right += ok
        if expected is not None and ok:
            self.tp += 1
        else:
            if predicted is not None and not ok:
                self.fp += 1
            if expected is not None and not ok:
                self.fn += 1
        return ok

    def flag(self, predicted: bool, expected: bool) -> bool:
        self.total += 1
        self.right += predicted == expected
        self.tp += predicted and expected
        self.fp += predicted and not expected
        self.fn += expected and not predicted
        return predicted == expected

    def sets(self, predicted: set, expected: set, optional: set = frozenset()) -> bool:
        self.total += 1
        self.tp += len(predicted & expected)
        self.fp += len(predicted - expected - optional)
        self.fn += len(expected - predicted)
        ok = not (predicted - expected - optional) and not (expected - predicted)
        self.right += ok
        return ok

    def result(self) -> dict:
        out = _prf(self.tp, self.fp, self.fn)
        out["accuracy"] = self.right / self.total if self.total else 1.0
        out["n"] = self.total
        return out


def _quotes(result: dict) -> list[str]:
    quotes = [q for c in result["categories"].values() for q in c["evidence"]]
    quotes += [s["evidence"] for s in result["services"]]
    quotes += [f["evidence"] for f in result["findings"] if f.get("evidence")]
    quotes += [q for f in result["findings"] for q in [f.get("sentence")] if q]
    if result.get("transfers_evidence"):
        quotes.append(result["transfers_evidence"])
    return quotes


def evaluate(directory: str | Path, labels_path: str | Path, *, catalog=None) -> dict:
    directory = Path(directory)
    labels = json.loads(Path(labels_path).read_text(encoding="utf-8"))
    counters = {f: _Counter() for f in FIELDS}
    files = []
    for name in sorted(labels):
        label = labels[name]
        today = date.fromisoformat(label["today"]) if label.get("today") else date.today()
        raw = (directory / name).read_bytes()
        result = analyze(raw, today=today, catalog=catalog)
        errors: dict[str, dict] = {}

        def check(field, ok, got, want, errors=errors):
            if not ok:
                errors[field] = {"got": got, "want": want}

        got_cats = {c for c in CATEGORIES if result["categories"][c]["used"]}
        want_cats = {c for c, v in label.get("categories", {}).items() if v}
        labelled = [c for c in CATEGORIES if c in label.get("categories", {})]
        micro = counters["categories"]
        for cat in labelled:
            g, w = cat in got_cats, cat in want_cats
            counters[f"cat:{cat}"].flag(g, w)
            if cat in SCORED_CATEGORIES:
                micro.tp += g and w
                micro.fp += g and not w
                micro.fn += w and not g
        if labelled:
            micro.total += 1
            same = {c for c in got_cats if c in labelled} == want_cats
            micro.right += same
            check("categories", same, sorted(got_cats), sorted(want_cats))

        if "services" in label:
            got_s = {s["id"] for s in result["services"]}
            want_s = set(label["services"])
            opt = set(label.get("services_optional", []))
            ok = counters["services"].sets(got_s, want_s, opt)
            check("services", ok, sorted(got_s - opt), sorted(want_s))

        ctrl = result["controller"]
        if "controller" in label:
            check("controller",
                  counters["controller"].value(ctrl["name"], label["controller"]),
                  ctrl["name"], label["controller"])
        if "business_id" in label:
            check("business_id",
                  counters["business_id"].value(ctrl["business_id"], label["business_id"]),
                  ctrl["business_id"], label["business_id"])
        if "transfers_outside_eea" in label:
            got_t, want_t = result["transfers_outside_eea"], label["transfers_outside_eea"]
            check("transfers", counters["transfers"].value(got_t, want_t), got_t, want_t)
        if "notice_date" in label:
            check("notice_date",
                  counters["notice_date"].value(result["notice_date"], label["notice_date"]),
                  result["notice_date"], label["notice_date"])
        if "lang" in label:
            check("language", counters["language"].value(result["language"], label["lang"]),
                  result["language"], label["lang"])

        codes = {f["code"] for f in result["findings"]}
        want_browser = label.get("browser_settings_consent")
        if want_browser is None and "findings_expected" in label:
            want_browser = BROWSER in label["findings_expected"]
        if want_browser is not None:
            check("browser_settings",
                  counters["browser_settings"].flag(BROWSER in codes, bool(want_browser)),
                  BROWSER in codes, bool(want_browser))
        if "findings_expected" in label:
            ignore = set() if label.get("today") else TIME_DEPENDENT
            want_f = set(label["findings_expected"]) - ignore
            ok = counters["findings"].sets(codes - ignore, want_f,
                                           set(label.get("findings_optional", [])))
            check("findings", ok, sorted(codes - ignore), sorted(want_f))

        text = normalise_text(raw)
        missing = [q for q in _quotes(result) if not q or q not in text]
        ev = counters["evidence"]
        ev.total += 1
        ev.right += not missing
        ev.fn += len(missing)
        check("evidence", not missing, missing[:3], "substrings")
        files.append({"file": name, "errors": errors})
    fields = {f: counters[f].result() for f in FIELDS if counters[f].total}
    return {"files": len(files), "fields": fields, "per_file": files}


def format_report(report: dict, *, errors: bool = True) -> str:
    head = f"{'field':<18}{'P':>7}{'R':>7}{'F1':>7}{'exact':>8}{'tp':>5}{'fp':>5}{'fn':>5}{'n':>5}"
    lines = [head, "-" * len(head)]
    for name, r in report["fields"].items():
        label = "categories (micro)" if name == "categories" else name
        lines.append(
            f"{label:<18}{r['precision']:>7.3f}{r['recall']:>7.3f}{r['f1']:>7.3f}"
            f"{r['accuracy']:>8.3f}{r['tp']:>5}{r['fp']:>5}{r['fn']:>5}{r['n']:>5}"
        )
    lines.append(f"files: {report['files']}  (categories micro-F1 is over "
                 f"{', '.join(SCORED_CATEGORIES)}; 'exact' = share of files right)")
    if errors:
        for f in report["per_file"]:
            for field, e in f["errors"].items():
                lines.append(f"  {f['file']}: {field}: got {e['got']!r}, want {e['want']!r}")
    return "\n".join(lines)
