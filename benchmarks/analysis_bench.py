"""Benchmark: analyse a 40,000-character notice built from our own test notices.

Run: .venv/bin/python benchmarks/analysis_bench.py [--runs N] [--chars N]
Target: median < 200 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consent_service.analysis import analyze  # noqa: E402
from consent_service.analysis.text import extract_text  # noqa: E402
from consent_service.catalog import load_catalog  # noqa: E402


def build_notice(chars: int) -> str:
    notices = sorted(p for p in (ROOT / "tests" / "notices").iterdir()
                     if p.name != "labels.json" and "recipe" not in p.name)
    parts = [extract_text(p.read_bytes()) for p in notices if p.name.startswith("fi")]
    parts += [extract_text(p.read_bytes()) for p in notices if not p.name.startswith("fi")]
    text = ""
    i = 0
    while len(text) < chars:
        text += parts[i % len(parts)] + "\n\n"
        i += 1
    return text[:chars]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--chars", type=int, default=40_000)
    args = ap.parse_args()
    text = build_notice(args.chars)
    catalog = load_catalog()
    t0 = time.perf_counter()
    analyze(text, today=date(2026, 1, 15), catalog=catalog)  # warm-up: loads lemma dictionaries
    cold = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        analyze(text, today=date(2026, 1, 15), catalog=catalog)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    median = statistics.median(times)
    print(f"notice: {len(text)} chars, runs: {args.runs}")
    print(f"first run (cold): {cold:.1f} ms")
    print(f"median: {median:.1f} ms  p95: {p95:.1f} ms  min: {times[0]:.1f} ms")
    ok = median < 200
    print("PASS" if ok else "FAIL", "(target: median < 200 ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
