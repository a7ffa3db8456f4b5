"""Benchmark: a 5-page scan of a local site (banner + trackers on every page, so all three
visits walk all five pages). Nothing leaves the machine: the scan runs in offline mode.

    .venv/bin/python benchmarks/scan_bench.py [--pages 5] [--settle 3.0] [--limit 60]

Prints the wall time and exits 1 when it is over the limit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consent_service.scan import ScanOptions, scan_url  # noqa: E402

PAGE = """<!doctype html><html lang="fi"><head><meta charset="utf-8"><title>Sivu {n}</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-BENCH"></script>
</head><body><h1>Sivu {n}</h1><p>{text}</p>
<nav>{links}</nav>
<div id="CybotCookiebotDialog" style="position:fixed;bottom:0;background:#eee">Käytämme evästeitä.
<button id="CybotCookiebotDialogBodyButtonDecline">Hylkää kaikki</button>
<button id="CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll">Hyväksy kaikki</button></div>
<script>
function choose(ok) {{ localStorage.setItem('c', ok ? 'all' : 'no');
  document.getElementById('CybotCookiebotDialog').remove();
  if (ok) {{ var s = document.createElement('script');
    s.src = 'https://connect.facebook.net/en_US/fbevents.js'; document.head.appendChild(s); }} }}
if (localStorage.getItem('c')) choose(localStorage.getItem('c') === 'all');
document.getElementById('CybotCookiebotDialogBodyButtonDecline').onclick = () => choose(false);
document.getElementById('CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll').onclick =
  () => choose(true);
</script></body></html>"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def build_site(root: Path, pages: int) -> None:
    links = " ".join(f'<a href="/p{i}.html">Sivu {i}</a>' for i in range(1, pages + 1))
    for i in range(1, pages + 1):
        (root / f"p{i}.html").write_text(
            PAGE.format(n=i, text="Sisältöä. " * 200, links=links), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=5)
    ap.add_argument("--settle", type=float, default=3.0)  # the CLI default
    ap.add_argument("--limit", type=float, default=60.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp), args.pages)
        handler = partial(Quiet, directory=tmp)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/p1.html"
        start = time.monotonic()
        result = scan_url(url, options=ScanOptions(pages=args.pages, settle=args.settle,
                                                   offline=True, total_timeout=args.limit + 30))
        took = time.monotonic() - start
        server.shutdown()
    visits = [k for k, v in result["visits"].items() if v is not None]
    loads = sum(1 for k in visits for r in result["visits"][k]["requests"]
                if r["type"] == "document")
    print(f"scan_bench: {len(result['pages'])} pages x {len(visits)} visits "
          f"({loads} page loads, settle {args.settle:g} s) in {took:.1f} s "
          f"(limit {args.limit:g} s); findings: "
          f"{sorted({f['code'] for f in result['findings']})}")
    return 0 if took < args.limit and len(result["pages"]) == args.pages else 1


if __name__ == "__main__":
    sys.exit(main())
