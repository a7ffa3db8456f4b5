"""The scan's egress proxy: every connection the scan's Chromium makes goes through here.

Chromium is started with ``--proxy-server`` pointing at this proxy (bound to 127.0.0.1 on a
random port) and ``--proxy-bypass-list=<-loopback>``, so even loopback goes through it;
QUIC and non-proxied WebRTC UDP are off. Navigations, redirects, subresources, iframes,
fetch/XHR, WebSockets (always tunnelled with CONNECT) and workers all reach the network
only as a CONNECT tunnel or an absolute-form HTTP request to us. For each we resolve the
host once per scan (the answer is pinned, so DNS rebinding cannot switch it), refuse it
when any of its addresses is blocked by ``netpolicy.address_blocked``, and otherwise
connect to the pinned address ourselves. Byte and connection budgets bound the scan.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from collections.abc import Callable, Iterable

from . import netpolicy

log = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024
HOP_HEADERS = {b"connection", b"proxy-connection", b"keep-alive", b"proxy-authorization",
               b"te", b"trailer", b"upgrade"}
BLOCKED_RESPONSE = (b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n"
                    b"Proxy-Status: consent-service-scan; error=destination_ip_prohibited\r\n\r\n")
LIMIT_RESPONSE = (b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n"
                  b"Connection: close\r\n\r\n")
BAD_RESPONSE = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
FAILED_RESPONSE = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

Resolver = Callable[[str], list[str]]
UNRESOLVED = "net::ERR_NAME_NOT_RESOLVED"


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class EgressProxy:
    def __init__(self, *, allow: Iterable = (), resolver: Resolver | None = None,
                 max_connections: int = 1500, max_response_bytes: int = 32 * 1024 * 1024,
                 max_total_bytes: int = 256 * 1024 * 1024, io_timeout: float = 30.0):
        self.allow = netpolicy.parse_networks(list(allow))
        self.resolver = resolver or system_resolver
        self.max_connections = max_connections
        self.max_response_bytes = max_response_bytes
        self.max_total_bytes = max_total_bytes
        self.io_timeout = io_timeout
        self.pins: dict[str, tuple[str | None, str | None]] = {}  # host -> (address, reason)
        self.blocked: dict[tuple[str, int], str] = {}  # (host, port) -> reason
        self.failed: dict[tuple[str, int], str] = {}  # (host, port) -> Chromium-style error
        self.limits: list[str] = []  # budgets that ran out
        self.connections = 0
        self.total_bytes = 0
        self._lock = threading.Lock()
        self._resolve_lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stopped = threading.Event()
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> EgressProxy:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen(128)
        self._server = server
        self._thread = threading.Thread(target=self._accept, name="scan-egress", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def chromium_args(self) -> list[str]:
        return [f"--proxy-server={self.url}", "--proxy-bypass-list=<-loopback>",
                "--disable-quic",
                # the switch's name in Chromium 156 (tests/scan/test_ssrf.py checks it works)
                "--webrtc-ip-handling-policy=disable_non_proxied_udp"]

    def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            _close(self._server)
        with self._lock:
            for sock in list(self._open):
                _close(sock)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EgressProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- policy ----------------------------------------------------------------------------
    def pin(self, host: str) -> tuple[str | None, str | None]:
        """(address to connect to, None) or (None, reason); resolved once per scan."""
        host = host.lower().strip("[]")
        with self._resolve_lock:
            if host in self.pins:
                return self.pins[host]
            try:
                addresses = [host] if _is_ip(host) else self.resolver(host)
            except (OSError, UnicodeError):
                addresses = []
            if not addresses:
                answer: tuple[str | None, str | None] = (None, UNRESOLVED)
            else:
                reasons = [(a, netpolicy.address_blocked(a, self.allow)) for a in addresses]
                bad = [(a, r) for a, r in reasons if r]
                # One blocked address blocks the name: a name that also points inside is not
                # an outside site, and a later connection must not pick the inside one.
                named = "" if _is_ip(host) else f" address {bad[0][0]}" if bad else ""
                answer = (None, bad[0][1] + named) if bad else (addresses[0], None)
            self.pins[host] = answer
            return answer

    def blocked_hosts(self) -> list[dict]:
        with self._lock:
            return [{"host": h, "port": p, "reason": r} for (h, p), r in self.blocked.items()]

    def failure(self, host: str) -> str | None:
        """The connection error (Chromium's name for it) of a host we could not reach."""
        host = (host or "").lower().strip("[]")
        with self._lock:
            return next((r for (h, _), r in self.failed.items() if h == host), None)

    def is_blocked(self, host: str) -> str | None:
        host = (host or "").lower().strip("[]")
        with self._lock:
            return next((r for (h, _), r in self.blocked.items() if h == host), None)

    # -- connections -----------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True,
                             name="scan-egress-conn").start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        upstream = None
        try:
            client.settimeout(self.io_timeout)
            head, rest = _read_head(client)
            if head is None:
                return client.sendall(BAD_RESPONSE)
            line, _, headers = head.partition(b"\r\n")
            parts = line.split(b" ")
            if len(parts) != 3:
                return client.sendall(BAD_RESPONSE)
            method, target = parts[0].upper(), parts[1].decode("latin-1")
            if method == b"CONNECT":
                host, port = _split_authority(target)
                path = None
            else:
                host, port, path = _split_absolute(target)
            if host is None:
                return client.sendall(BAD_RESPONSE)
            with self._lock:
                self.connections += 1
                over = self.connections > self.max_connections
            if over:
                self._limit(f"more than {self.max_connections} connections")
                return client.sendall(LIMIT_RESPONSE)
            address, reason = self.pin(host)
            key = (host.lower().strip("[]"), port)
            if reason == UNRESOLVED:
                with self._lock:
                    self.failed[key] = reason
                return client.sendall(FAILED_RESPONSE)
            if reason:
                with self._lock:
                    self.blocked.setdefault(key, reason)
                log.info("scan egress: blocked %s:%s (%s)", host, port, reason)
                return client.sendall(BLOCKED_RESPONSE)
            try:
                upstream = socket.create_connection((address, port), timeout=self.io_timeout)
            except OSError as exc:
                with self._lock:
                    self.failed[key] = _net_error(exc)
                return client.sendall(FAILED_RESPONSE)
            self._track(upstream)
            if method == b"CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
                self._pipe(client, upstream, rewrite=False)
            else:
                upgrade = any(k == b"upgrade" for k, _ in _headers(headers))
                upstream.sendall(_origin_request(parts[0], path, headers, upgrade) + rest)
                self._pipe(client, upstream, rewrite=not upgrade)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    _close(sock)
                    with self._lock:
                        self._open.discard(sock)

    def _limit(self, what: str) -> None:
        with self._lock:
            if what not in self.limits:
                self.limits.append(what)

    def _pipe(self, client: socket.socket, upstream: socket.socket, *, rewrite: bool) -> None:
        """Client→upstream in a thread, upstream→client here (counted, with the response's
        connection made single-use when ``rewrite``)."""
        def up() -> None:
            try:
                while data := client.recv(65536):
                    upstream.sendall(data)
            except OSError:
                pass
            try:
                upstream.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        thread = threading.Thread(target=up, daemon=True, name="scan-egress-up")
        thread.start()
        sent = 0
        pending = b""
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            if rewrite:
                pending += data
                end = pending.find(b"\r\n\r\n")
                if end < 0 and len(pending) < HEAD_LIMIT:
                    continue
                data, rewrite = _close_response(pending, end), False
            sent += len(data)
            with self._lock:
                self.total_bytes += len(data)
                total = self.total_bytes
            if sent > self.max_response_bytes:
                self._limit(f"a response over {self.max_response_bytes} bytes")
                break
            if total > self.max_total_bytes:
                self._limit(f"more than {self.max_total_bytes} bytes in all")
                break
            client.sendall(data)
        _close(upstream)
        _close(client)
        thread.join(timeout=1)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _net_error(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "net::ERR_CONNECTION_TIMED_OUT"
    return {errno.ECONNREFUSED: "net::ERR_CONNECTION_REFUSED",
            errno.ENETUNREACH: "net::ERR_ADDRESS_UNREACHABLE",
            errno.EHOSTUNREACH: "net::ERR_ADDRESS_UNREACHABLE"}.get(
                exc.errno, "net::ERR_CONNECTION_FAILED")


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > HEAD_LIMIT:
            return None, b""
        data = sock.recv(65536)
        if not data:
            return None, b""
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def _headers(block: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    for raw in block.split(b"\r\n"):
        name, sep, value = raw.partition(b":")
        if sep:
            out.append((name.strip().lower(), value.strip()))
    return out


def _split_authority(target: str) -> tuple[str | None, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        return None, 0
    return host.strip("[]").lower(), int(port)


def _split_absolute(target: str) -> tuple[str | None, int, str]:
    # Chromium wrote this URL, so its own (WHATWG) parser reads it the same way.
    parsed = netpolicy.parse_url(target)
    if parsed is None or parsed.protocol != "http:" or not parsed.hostname:
        return None, 0, ""
    port = int(parsed.port) if parsed.port else 80
    return parsed.hostname.strip("[]").lower(), port, (parsed.pathname or "/") + parsed.search


def _origin_request(method: bytes, path: str, headers: bytes, upgrade: bool) -> bytes:
    lines = [method + b" " + path.encode("latin-1") + b" HTTP/1.1"]
    for raw in headers.split(b"\r\n"):
        name = raw.partition(b":")[0].strip().lower()
        if name in HOP_HEADERS and not (upgrade and name in (b"connection", b"upgrade")):
            continue
        lines.append(raw)
    if not upgrade:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _close_response(buf: bytes, end: int) -> bytes:
    """The response head with Connection: close, so Chromium sends its next request on a
    new proxy connection (each one is checked and pinned on its own)."""
    if end < 0:
        return buf
    head, body = buf[:end], buf[end + 4:]
    lines = head.split(b"\r\n")
    kept = [lines[0]] + [raw for raw in lines[1:] if raw.partition(b":")[0].strip().lower()
                         not in (b"connection", b"proxy-connection", b"keep-alive")]
    kept.append(b"Connection: close")
    return b"\r\n".join(kept) + b"\r\n\r\n" + body
