"""The scanner is not a way into the network: an "outside" page (127.0.0.2, let through the
way an operator allows an intranet range) tries every route to an "internal" server on
127.0.0.1, and the internal server must see no connection at all.

A control scan with loopback allowed proves each route really fires, so the zero is the
policy's doing and not a route that never ran.
"""

from __future__ import annotations

import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from consent_service.scan import ScanError, ScanOptions, procs, scan_url
from consent_service.scan.egress import EgressProxy

CHROMIUM = os.environ.get("CONSENT_CHROMIUM", "/usr/bin/chromium")

INTERNAL_NAME = "intranet-wiki.example"  # resolves to 127.0.0.1 through the test resolver
INTERNAL_BODY = b"<html><body><h1>INTERNAL SECRET PAGE</h1></body></html>"


class InternalServer:
    """Counts every TCP connection it accepts (not just complete requests) and answers with
    a page and a cookie the report must never show."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.paths: list[str] = []
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        try:
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = conn.recv(4096)
                if not data:
                    break
                head += data
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            self.paths.append(line.split(" ")[1] if " " in line else line)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                         b"Set-Cookie: internal_secret=1; Path=/\r\nAccess-Control-Allow-Origin: *"
                         b"\r\nContent-Length: " + str(len(INTERNAL_BODY)).encode()
                         + b"\r\nConnection: close\r\n\r\n" + INTERNAL_BODY)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self._stop = True
        self.sock.close()


class UdpSink:
    """Counts UDP datagrams (WebRTC's STUN checks would be the ones to arrive)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.packets = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                self.sock.recvfrom(65536)
            except OSError:
                return
            self.packets += 1

    def close(self):
        self.sock.close()


def outside_page(internal: str, port: int, outside: str, udp: int = 0) -> str:
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>Outside</title>
<link rel=stylesheet href="{internal}/stylesheet">
</head><body><h1>An outside page</h1>
<img src="{internal}/img">
<img src="http://127.0.0.1:{port}\\@{outside.split('//')[1]}/backslash">
<img src="http://{INTERNAL_NAME}:{port}/dns-name">
<img src="http://localhost:{port}/localhost-name">
<img src="http://[::ffff:127.0.0.1]:{port}/mapped">
<img src="http://0x7f.0.0.1:{port}/hex">
<iframe src="{internal}/iframe"></iframe>
<iframe src="/redirect"></iframe>
<script>
fetch("{internal}/fetch", {{mode: "no-cors"}}).catch(() => {{}});
var x = new XMLHttpRequest(); x.open("GET", "{internal}/xhr"); x.send();
try {{ new WebSocket("ws://127.0.0.1:{port}/websocket"); }} catch (e) {{}}
new Worker("/worker.js");
navigator.serviceWorker && navigator.serviceWorker.register("/sw.js").catch(() => {{}});
navigator.sendBeacon("{internal}/beacon", "x");
try {{
  const pc = new RTCPeerConnection({{iceServers: [{{urls: "stun:127.0.0.1:{udp}"}},
    {{urls: "turn:127.0.0.1:{port}?transport=tcp", username: "u", credential: "p"}}]}});
  pc.createDataChannel("x");
  pc.createOffer().then((o) => pc.setLocalDescription(o)).catch(() => {{}});
}} catch (e) {{}}
try {{ new WebTransport("https://127.0.0.1:{udp}/wt").ready.catch(() => {{}}); }} catch (e) {{}}
</script></body></html>"""


class Outside(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        internal = self.server.internal
        path = self.path.split("?")[0]
        if path == "/":
            self._send("text/html", outside_page(internal, self.server.internal_port,
                                                 self.server.base, self.server.udp_port))
        elif path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", f"{internal}{path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/worker.js":
            self._send("application/javascript",
                       f'fetch("{internal}/worker", {{mode: "no-cors"}}).catch(() => {{}});')
        elif path == "/sw.js":
            self._send("application/javascript",
                       f'fetch("{internal}/service-worker", {{mode: "no-cors"}})'
                       '.catch(() => {});')
        else:
            self.send_error(404)

    def _send(self, ctype, text):
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def network():
    internal = InternalServer()
    udp = UdpSink()
    server = ThreadingHTTPServer(("127.0.0.2", 0), Outside)
    server.udp_port = udp.port
    server.daemon_threads = True
    server.internal = f"http://127.0.0.1:{internal.port}"
    server.internal_port = internal.port
    server.base = f"http://127.0.0.2:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"internal": internal, "outside": server.base, "port": internal.port, "udp": udp}
    server.shutdown()
    server.server_close()
    internal.close()
    udp.close()


def resolver(host):
    """The test's DNS: only these names exist (nothing resolves to a public address)."""
    return {INTERNAL_NAME: ["127.0.0.1"], "localhost": ["127.0.0.1"]}.get(host, [])


def options(allow, **kw) -> ScanOptions:
    # offline: a request for any other host is answered in the browser, never sent
    base = dict(allow_networks=allow, resolver=resolver, settle=1.5, banner_wait=0.5,
                page_timeout=10, total_timeout=40, chromium=CHROMIUM, offline=True)
    base.update(kw)
    return ScanOptions(**base)


ROUTES = ["/img", "/backslash", "/dns-name", "/localhost-name", "/mapped", "/hex", "/iframe",
          "/redirect", "/fetch", "/xhr", "/websocket", "/worker", "/stylesheet", "/beacon",
          "/service-worker"]


@pytest.mark.browser
def test_control_every_route_reaches_the_internal_server_when_allowed(network, no_orphans):
    scan_url(network["outside"] + "/", options=options(("127.0.0.0/8",)))
    seen = [p.split("?")[0] for p in network["internal"].paths]
    assert "/@127.0.0.2:" in " ".join(seen)  # the backslash: Chromium's host is 127.0.0.1
    assert [r for r in ROUTES if not any(p.endswith(r) for p in seen)] == [], seen


@pytest.mark.browser
def test_control_webrtc_udp_arrives_without_the_webrtc_flag(network, no_orphans, monkeypatch):
    """Without --webrtc-ip-handling-policy the page's STUN checks reach the UDP sink
    (so the zero in the next test is the flag's doing)."""
    plain = EgressProxy.chromium_args
    monkeypatch.setattr(EgressProxy, "chromium_args", lambda self: [
        a for a in plain(self) if "webrtc" not in a])
    scan_url(network["outside"] + "/", options=options(("127.0.0.2/32",), settle=2))
    assert network["udp"].packets > 0


@pytest.mark.browser
def test_no_route_reaches_the_internal_server(network, no_orphans):
    internal = network["internal"]
    result = scan_url(network["outside"] + "/", options=options(("127.0.0.2/32",)))
    assert internal.connections == 0, internal.paths
    assert network["udp"].packets == 0  # WebRTC: no UDP that bypasses the proxy
    blocked = {(b["host"], b["reason"]) for b in result["blocked"]}
    assert ("127.0.0.1", "loopback") in blocked
    assert (INTERNAL_NAME, "loopback address 127.0.0.1") in blocked
    assert ("localhost", "loopback address 127.0.0.1") in blocked
    requests = result["visits"]["before_consent"]["requests"]
    to_internal = [r for r in requests if r["host"] in ("127.0.0.1", INTERNAL_NAME)]
    assert to_internal and all(r["failed"] and r.get("blocked") for r in to_internal)
    cookies = result["visits"]["before_consent"]["cookies"]
    assert not [c for c in cookies if c["name"] == "internal_secret"]
    assert "INTERNAL SECRET" not in str(result)
    from consent_service.scan.report import to_html, to_text

    html, text = to_html(result), to_text(result)
    assert "Blocked by the scan" in html and f"{INTERNAL_NAME}</td>" in html
    assert "INTERNAL SECRET" not in html and f"127.0.0.1:{network['port']}  loopback" in text

    # The top-level page itself: directly, through the backslash, a redirect, a DNS name.
    port, outside = network["port"], network["outside"]
    for url in (f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}\\@{outside[7:]}/",
                f"{outside}/redirect-top", f"http://{INTERNAL_NAME}:{port}/"):
        with pytest.raises(ScanError) as err:
            scan_url(url, options=options(("127.0.0.2/32",), settle=0.2))
        assert err.value.code == "blocked", (url, err.value.message)
    assert internal.connections == 0, internal.paths


def test_proxy_pins_the_first_answer_no_rebinding():
    """A name that answers 127.0.0.2 (allowed) and then 127.0.0.1 keeps going to 127.0.0.2."""
    outside = InternalServer("127.0.0.2")
    try:
        internal = InternalServer("127.0.0.1", outside.port)
    except OSError:
        outside.close()
        pytest.skip("the outside server's port is taken on 127.0.0.1")
    answers = iter([["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"]])
    calls = []

    def rebinding(host):
        calls.append(host)
        return next(answers)

    with EgressProxy(allow=["127.0.0.2/32"], resolver=rebinding) as proxy:
        for _ in range(3):
            reply = _proxy_get(proxy, f"http://rebind.example:{outside.port}/x")
            assert reply.startswith(b"HTTP/1.1 200")
    assert calls == ["rebind.example"]
    assert outside.connections == 3 and internal.connections == 0
    outside.close()
    internal.close()


def test_proxy_refuses_connect_and_absolute_requests_to_blocked_addresses():
    internal = InternalServer()
    with EgressProxy(resolver=lambda host: ["127.0.0.1"]) as proxy:
        for target in (f"CONNECT 127.0.0.1:{internal.port}", f"CONNECT [::1]:{internal.port}",
                       f"CONNECT name.example:{internal.port}",
                       f"GET http://127.0.0.1:{internal.port}/",
                       f"GET http://name.example:{internal.port}/"):
            with socket.create_connection(proxy._server.getsockname(), timeout=5) as s:
                s.sendall(f"{target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                assert s.recv(4096).startswith(b"HTTP/1.1 403"), target
        assert {b["host"] for b in proxy.blocked_hosts()} == {"127.0.0.1", "::1",
                                                               "name.example"}
    assert internal.connections == 0
    internal.close()


def test_proxy_response_size_limit():
    big = InternalServer("127.0.0.2")
    with EgressProxy(allow=["127.0.0.2/32"], max_response_bytes=100) as proxy:
        reply = _proxy_get(proxy, f"http://127.0.0.2:{big.port}/")
    assert len(reply) <= 100 and "a response over 100 bytes" in proxy.limits[0]
    big.close()


def _proxy_get(proxy, url: str) -> bytes:
    with socket.create_connection(proxy._server.getsockname(), timeout=5) as s:
        s.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n".encode())
        out = b""
        while data := s.recv(65536):
            out += data
    return out


@pytest.mark.browser
@pytest.mark.skipif(os.geteuid() != 0, reason="checks the drop from root")
def test_browser_runs_sandboxed_as_an_unprivileged_user(network, no_orphans, monkeypatch):
    """As root the browser runs as the scan user with Chromium's sandbox on: its renderers
    are in user namespaces of their own, and no process has --no-sandbox."""
    from consent_service.scan import visits

    seen = {}
    original = visits.Visit.close

    def look(self, *exc):
        for pid, _ in procs.descendants().items():
            try:
                # sandboxed children rewrite their command line into one string
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                status = Path(f"/proc/{pid}/status").read_text()
                userns = os.readlink(f"/proc/{pid}/ns/user")
            except OSError:
                continue
            main = b"--type=" not in cmd
            if b"--type=renderer" in cmd or (main and procs.is_chromium(procs.stat(pid)[0])):
                uid = int(status.split("Uid:")[1].split()[0])
                seen[pid] = (b"--type=renderer" in cmd, uid, userns, b"--no-sandbox" in cmd)
        return original(self, *exc)

    monkeypatch.setattr(visits.Visit, "close", look)
    scan_url(network["outside"] + "/", options=options(("127.0.0.2/32",), settle=0.2))
    renderers = [v for v in seen.values() if v[0]]
    browsers = [v for v in seen.values() if not v[0]]
    assert renderers and browsers
    assert all(uid != 0 for _, uid, _, _ in seen.values())
    assert not any(no_sandbox for *_, no_sandbox in seen.values())
    main_ns = {ns for _, _, ns, _ in browsers}
    assert all(ns not in main_ns for _, _, ns, _ in renderers)


def test_a_sandbox_that_cannot_start_is_a_clear_error(tmp_path, monkeypatch):
    """Where Chromium's sandbox cannot run (no user namespaces) the scan says so and how to
    go on, instead of a bare browser crash."""
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'No usable sandbox! (test stand-in)' >&2\nexit 1\n")
    fake.chmod(0o755)
    tmp_path.chmod(0o755)
    with pytest.raises(ScanError) as err:
        scan_url("http://127.0.0.2:9/", options=options(("127.0.0.2/32",), chromium=str(fake)))
    assert err.value.code == "no-sandbox" and "CONSENT_SCAN_SANDBOX=0" in err.value.message
    monkeypatch.setenv("CONSENT_SCAN_SANDBOX", "0")
    with pytest.raises(ScanError) as err:
        scan_url("http://127.0.0.2:9/", options=options(("127.0.0.2/32",), chromium=str(fake)))
    assert err.value.code != "no-sandbox"
