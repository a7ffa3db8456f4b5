"""Score ``analyze()`` against a labelled folder of notices (format of labels.json:
``{file: {lang, controller, business_id, notice_date, categories: {cat: bool}, services,
services_optional, transfers_outside_eea, findings_expected, ...}}``).

Findings that depend on today's date (``notice-outdated``) are scored only for files whose
label gives ``today`` (ISO date); the analysis then runs with that date.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ..catalog import CATEGORIES
from .analyzer import analyze

TIME_DEPENDENT = {"notice-outdated"}
FIELDS = ("categories", "services", "controller", "business_id", "transfers", "findings",
          "notice_date", "language")


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def _norm(value) -> str | None:
    return " ".join(str(value).casefold().split()) if value is not None else None


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
        return out


def evaluate(directory: str | Path, labels_path: str | Path, *, catalog=None) -> dict:
    directory = Path(directory)
    labels = json.loads(Path(labels_path).read_text(encoding="utf-8"))
    counters = {f: _Counter() for f in FIELDS}
    files = []
    for name in sorted(labels):
        label = labels[name]
        today = date.fromisoformat(label["today"]) if label.get("today") else date.today()
        result = analyze((directory / name).read_bytes(), today=today, catalog=catalog)
        errors: dict[str, dict] = {}

        def check(field, ok, got, want, errors=errors):
            if not ok:
                errors[field] = {"got": got, "want": want}

        got_cats = {c for c in CATEGORIES if result["categories"][c]["used"]}
        want_cats = {c for c, v in label.get("categories", {}).items() if v}
        c = counters["categories"]
        for cat in CATEGORIES:
            if cat not in label.get("categories", {}):
                continue
            g, w = cat in got_cats, cat in want_cats
            c.tp += g and w
            c.fp += g and not w
            c.fn += w and not g
        c.total += 1
        c.right += got_cats == want_cats
        check("categories", got_cats == want_cats, sorted(got_cats), sorted(want_cats))

        got_s = {s["id"] for s in result["services"]}
        want_s = set(label.get("services", []))
        opt = set(label.get("services_optional", []))
        ok = counters["services"].sets(got_s, want_s, opt)
        check("services", ok, sorted(got_s), sorted(want_s))

        ctrl = result["controller"]
        check("controller", counters["controller"].value(ctrl["name"], label.get("controller")),
              ctrl["name"], label.get("controller"))
        check("business_id",
              counters["business_id"].value(ctrl["business_id"], label.get("business_id")),
              ctrl["business_id"], label.get("business_id"))
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

        ignore = set() if label.get("today") else TIME_DEPENDENT
        got_f = {f["code"] for f in result["findings"]} - ignore
        want_f = set(label.get("findings_expected", [])) - ignore
        ok = counters["findings"].sets(got_f, want_f, set(label.get("findings_optional", [])))
        check("findings", ok, sorted(got_f), sorted(want_f))
        files.append({"file": name, "errors": errors})
    return {"files": len(files), "fields": {f: counters[f].result() for f in FIELDS},
            "per_file": files}


def format_report(report: dict) -> str:
    lines = [f"{'field':<13}{'P':>7}{'R':>7}{'F1':>7}{'exact':>8}{'tp':>5}{'fp':>5}{'fn':>5}"]
    lines.append("-" * len(lines[0]))
    for name, r in report["fields"].items():
        lines.append(
            f"{name:<13}{r['precision']:>7.3f}{r['recall']:>7.3f}{r['f1']:>7.3f}"
            f"{r['accuracy']:>8.3f}{r['tp']:>5}{r['fp']:>5}{r['fn']:>5}"
        )
    lines.append(f"files: {report['files']}")
    for f in report["per_file"]:
        for field, e in f["errors"].items():
            lines.append(f"  {f['file']}: {field}: got {e['got']!r}, want {e['want']!r}")
    return "\n".join(lines)
