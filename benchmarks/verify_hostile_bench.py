"""The bundle verifier against hostile input: tracebacks and peak memory over the corpus.

Builds a clean bundle (SQLite in a temporary folder, 200 events, one seal), the hostile
corpus of tests/proof/hostile.py from it, and verifies each file in a fresh process, so
that each peak is its own. Prints per file: verdict, peak RSS growth while verifying
(VmHWM after minus VmHWM before, i.e. above the imported interpreter), the process's
absolute VmHWM, time; then the totals. Exit 1 when a traceback appears, a file is not
INVALID, or a growth is over 64 MB.

    .venv/bin/python benchmarks/verify_hostile_bench.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LIMIT_MB = 64

CHILD = r"""
import json, sys, time
from pathlib import Path
def kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
from consent_service.proof.verify import Pins, verify_bundle
before = kb("VmHWM")
t = time.perf_counter()
report = verify_bundle(sys.argv[1], Pins(fingerprints={sys.argv[2]}))
print(json.dumps({"verdict": report.verdict, "line": report.verdict_line(),
                  "growth_kb": kb("VmHWM") - before, "hwm_kb": kb("VmHWM"),
                  "seconds": time.perf_counter() - t}))
"""


def clean_bundle(folder: Path) -> tuple[Path, str]:
    from flask_migrate import upgrade

    from consent_service import create_app
    from consent_service.extensions import db
    from consent_service.proof.bundle import build_bundle
    from consent_service.proof.seals import create_key
    from consent_service.services import consents, policies, sites

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
                      "SECRET_KEY": "bench-" + "x" * 40, "CONSENT_ENV": "testing",
                      "INSTANCE_PATH": str(folder / "instance"),
                      "RATELIMIT_CONSENTS": "100000/minute"})
    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        signer = create_key(via="bench")
        site = sites.create_site(["bench.example.fi"], name="Bench Oy")
        texts = {"title": "Evästeet", "description": "Mittaamme käyntejä.",
                 "accept_all": "Hyväksy", "reject_all": "Hylkää", "settings": "Asetukset",
                 "categories": {"necessary": {"title": "V", "description": "V"},
                                "analytics": {"title": "A", "description": "A"}}}
        content = policies.build_content(["necessary", "analytics"], ["google-analytics"],
                                         banner={"fi": texts})
        policies.publish(policies.create_draft(site, content))
        bh = policies.banner_hashes(content)["fi"]
        for i in range(200):
            consents.record(site.id, site.site_key, {
                "event_id": uuid.uuid4(), "policy_version": 1,
                "action": "accept_all" if i % 2 else "reject_all",
                "choices": {"analytics": bool(i % 2)}, "language": "fi", "banner_hash": bh,
                "page_url": "https://bench.example.fi/"}, remote_addr="192.0.2.1",
                user_agent="Mozilla/5.0", ip_mode="truncate", secret=app.config["SECRET_KEY"])
        out = folder / "clean.zip"
        build_bundle(sites.get_site(site.site_key), out)
        db.engine.dispose()
    return out, signer.fingerprint


def run_one(path: Path, fingerprint: str) -> tuple[dict | None, str]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), fingerprint],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    text = proc.stdout + proc.stderr
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), text
    except (ValueError, IndexError):
        return None, text


def main() -> int:
    from tests.proof.hostile import build_corpus

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clean, fingerprint = clean_bundle(folder)
        corpus = [("clean bundle (control)", clean), *build_corpus(clean, folder / "corpus")]
        tracebacks = not_invalid = over = 0
        max_growth = max_hwm = 0
        print(f"{'case':32} {'verdict':8} {'growth MB':>9} {'VmHWM MB':>9} {'s':>6}  reason")
        for name, path in corpus:
            result, text = run_one(path, fingerprint)
            if "Traceback" in text or result is None:
                tracebacks += 1
                print(f"{name:32} TRACEBACK\n{text}")
                continue
            growth, hwm = result["growth_kb"] / 1024, result["hwm_kb"] / 1024
            max_growth, max_hwm = max(max_growth, growth), max(max_hwm, hwm)
            expected = "VALID" if name.startswith("clean") else "INVALID"
            not_invalid += result["verdict"] != expected
            over += growth > LIMIT_MB
            reason = result["line"].split(": ", 1)[-1][:70]
            print(f"{name:32} {result['verdict']:8} {growth:9.1f} {hwm:9.1f} "
                  f"{result['seconds']:6.2f}  {reason}")
        print(f"\n{len(corpus) - 1} hostile bundles + 1 clean control; tracebacks: "
              f"{tracebacks}; wrong verdicts: {not_invalid}; peak RSS growth while "
              f"verifying: max {max_growth:.1f} MB (limit {LIMIT_MB} MB); process VmHWM "
              f"max {max_hwm:.1f} MB (the imported interpreter and app modules included)")
    return 1 if tracebacks or not_invalid or over else 0


if __name__ == "__main__":
    sys.exit(main())
