"""Benchmark: the notice analyzer's footprint and speed (issue 18's targets).

Run: .venv/bin/python benchmarks/analysis_bench.py [--runs N]

Each figure is measured in a fresh subprocess, so one measurement's caches do not help the
next:
1. a web worker that does not analyse: create_app(), then what it loaded of the analyzer
   (target: nothing: no lemma dictionary, no Voikko handle);
2. the analysing process: RSS growth and time of ``consent_service.analysis.warm_up()``
   (targets: <= 150 MB, <= 1.5 s), against the baseline of the same run: simplemma's
   fi/sv/en dictionaries and language detector, which the analyzer loaded before;
3. one notice: median time per notice over our own test notices (tests/notices) and, when
   present, the real sets in ../shared (target: median <= 50 ms), and one 40,000-character
   notice built from our own notices. The check uses CPU time (process_time): on a shared
   machine wall time also counts the waits for a core; wall time (best of the runs) is
   printed beside it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

_RSS = """
def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
"""

WEB_WORKER = _RSS + """
import json, os, sys, tempfile
os.environ.setdefault("CONSENT_INSTANCE_PATH", tempfile.mkdtemp())
before = rss_mb()
from consent_service import create_app
app = create_app()
import consent_service.analysis.text as text
print(json.dumps({"simplemma_imported": "simplemma" in sys.modules,
                  "libvoikko_imported": "libvoikko" in sys.modules,
                  "voikko_open": bool(text._VOIKKO),
                  "lemmas_cached": text.lemma.cache_info().currsize}))
"""

ANALYSER = _RSS + """
import json, time
from consent_service.catalog import load_catalog
load_catalog()
before = rss_mb()
t0 = time.perf_counter()
import consent_service.analysis as analysis  # the rules compile at import
analysis.warm_up()
print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": rss_mb() - before}))
"""

BASELINE = _RSS + """
import json, time
from consent_service.catalog import load_catalog
load_catalog()
before = rss_mb()
t0 = time.perf_counter()
from simplemma import langdetect, lemmatize
langdetect("Käytämme evästeitä. Vi använder kakor. We use cookies.", lang=("fi", "sv", "en"))
for lang in ("fi", "sv", "en"):
    lemmatize("evästeitä", lang=lang)
print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": rss_mb() - before}))
"""

PER_NOTICE = """
import json, statistics, sys, time
from datetime import date
from pathlib import Path
from consent_service.analysis import analyze, warm_up
from consent_service.catalog import load_catalog
catalog = load_catalog()
warm_up()
runs = int(sys.argv[1])
out = {}
for folder in sys.argv[2:]:
    files = sorted(p for p in Path(folder).iterdir() if p.name not in ("labels.json", "README.md"))
    wall, cpu = [], []
    for p in files:
        data = p.read_bytes()
        w, c = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            analyze(data, today=date(2026, 1, 15), catalog=catalog)
            w.append((time.perf_counter() - t0) * 1000)
            c.append((time.process_time() - c0) * 1000)
        wall.append(min(w))
        cpu.append(statistics.median(c))
    wall.sort()
    cpu.sort()
    out[folder] = {"files": len(cpu), "median_ms": statistics.median(cpu),
                   "p95_ms": cpu[min(len(cpu) - 1, round(0.95 * (len(cpu) - 1)))],
                   "max_ms": cpu[-1], "wall_median_ms": statistics.median(wall)}
print(json.dumps(out))
"""

LONG = """
import json, statistics, sys, time
from datetime import date
from pathlib import Path
from consent_service.analysis import analyze, warm_up
from consent_service.analysis.text import extract_text
warm_up()
notices = sorted(p for p in Path(sys.argv[2]).iterdir() if p.name != "labels.json")
parts = [extract_text(p.read_bytes()) for p in notices]
text, i = "", 0
while len(text) < 40000:
    text += parts[i % len(parts)] + "\\n\\n"
    i += 1
text = text[:40000]
times = []
for _ in range(int(sys.argv[1])):
    t0 = time.process_time()
    analyze(text, today=date(2026, 1, 15))
    times.append((time.process_time() - t0) * 1000)
print(json.dumps({"chars": len(text), "median_ms": statistics.median(times)}))
"""


def _run(code: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                          text=True, check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin"})
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5, help="timed runs per notice")
    args = ap.parse_args()

    web = _run(WEB_WORKER)
    print(f"web worker (create_app, no analysis): simplemma imported: "
          f"{web['simplemma_imported']}, libvoikko imported: {web['libvoikko_imported']}, "
          f"lemmas cached: {web['lemmas_cached']}")
    new = _run(ANALYSER)
    print(f"analysing process, warm-up: {new['seconds']:.2f} s, +{new['rss_mb']:.0f} MB")
    try:  # the baseline: what the analyzer loaded before (simplemma is no dependency now)
        base = _run(BASELINE)
        print(f"  baseline in this run, simplemma fi/sv/en + langdetect: "
              f"{base['seconds']:.2f} s, +{base['rss_mb']:.0f} MB (ratio "
              f"{new['seconds'] / base['seconds']:.3f} time, "
              f"{new['rss_mb'] / base['rss_mb']:.3f} memory)")
    except subprocess.CalledProcessError:
        print("  baseline skipped: simplemma is not installed (pip install simplemma==2.0.0)")
    folders = [str(ROOT / "tests" / "notices")]
    folders += [str(SHARED / d) for d in ("notices", "notices-dev") if (SHARED / d).is_dir()]
    per = _run(PER_NOTICE, str(args.runs), *folders)
    for folder, r in per.items():
        name = Path(folder).relative_to(ROOT.parent)
        print(f"one notice, {name} ({r['files']} files): CPU median {r['median_ms']:.1f} ms, "
              f"p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms; wall (best of runs) "
              f"median {r['wall_median_ms']:.1f} ms")
    long = _run(LONG, str(args.runs), str(ROOT / "tests" / "notices"))
    print(f"one {long['chars']}-character notice: CPU median {long['median_ms']:.1f} ms")

    medians = [r["median_ms"] for r in per.values()]
    checks = {
        "web worker pays nothing": not (web["simplemma_imported"] or web["libvoikko_imported"]
                                        or web["voikko_open"] or web["lemmas_cached"]),
        "warm-up <= 150 MB": new["rss_mb"] <= 150,
        "warm-up <= 1.5 s": new["seconds"] <= 1.5,
        "median notice <= 50 ms": max(medians) <= 50,
    }
    for name, ok in checks.items():
        print(("PASS " if ok else "FAIL ") + name)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
