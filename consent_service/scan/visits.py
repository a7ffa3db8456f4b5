"""The three visits of a scan: before any choice, after "accept all", after "reject all".

Each visit runs in a fresh browser context and records every request the page attempts
(all frames and service workers, failed ones too), the cookies with expiry and party, and
the storage keys, over up to ``pages`` same-site pages.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from . import banners, netpolicy
from .browser import BrowserSession, ScanError
from .egress import EgressProxy
from .matching import host_of, iso, registrable_domain

CONSENT_API = re.compile(r"/api/v1/sites/[^/]+/consents(?:\?|$)")
SKIP_LINK = re.compile(r"\.(?:pdf|jpe?g|png|gif|webp|svg|zip|docx?|xlsx?|pptx?|mp[34]|avi)$", re.I)
FOLLOW_UP_SETTLE = 1.0  # seconds of watching on the 2nd..Nth page of a visit
# The banner's consent events never leave a scan's browser: fetch() and sendBeacon() to the
# consent endpoint are refused in the page (beacons and unload-time requests can slip past
# request interception) and reported through a binding; the route handler aborts the rest.
CONSENT_GUARD = r"""(() => {
  const re = /\/api\/v1\/sites\/[^/]+\/consents$/;
  const abs = (u) => { try { return new URL(String((u && u.url) || u), location.href); }
                       catch (e) { return null; } };
  const hit = (u) => { const a = abs(u); return !!a && re.test(a.pathname); };
  const note = (u, kind) => { try { window.__csScanBlocked(String(abs(u)), kind); }
                              catch (e) {} };
  const f = window.fetch;
  if (f) window.fetch = function (input, init) {
    if (hit(input)) { note(input, 'fetch');
      return Promise.reject(new TypeError('blocked by the site scan')); }
    return f.apply(this, arguments);
  };
  const b = navigator.sendBeacon && navigator.sendBeacon.bind(navigator);
  if (b) navigator.sendBeacon = function (u, d) {
    if (hit(u)) { note(u, 'ping'); return true; }
    return b(u, d);
  };
})();"""
EMPTY_BODIES = {"script": "", "stylesheet": "", "image": "", "document": "<!doctype html>"}


@dataclass
class ScanOptions:
    pages: int = 1
    page_timeout: float = 20.0  # seconds for one page load
    total_timeout: float = 120.0  # seconds for the whole scan
    settle: float = 3.0  # seconds to watch after a page loaded or a banner was answered
    banner_wait: float = 5.0  # seconds to wait for a banner to show
    chromium: str = "/usr/bin/chromium"
    offline: bool = False  # fulfil every non-loopback request locally (tests, CI)
    # route_handler(route, request) -> bool: True when it fulfilled/aborted the request
    route_handler: Callable | None = None
    record_consents: bool = False  # let the banner send its consent events
    screenshot: bool = True
    # Networks the scan may reach although internal (operator's intranet setting); None:
    # from CONSENT_SCAN_ALLOW_NETWORKS.
    allow_networks: tuple | None = None
    resolver: Callable | None = None  # host -> [addresses]; None: the system's (tests)
    max_requests: int = 1500  # per visit; requests past it are aborted
    max_response_bytes: int = 32 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    sandbox: bool = True  # Chromium's sandbox (as an unprivileged user when we are root)


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return ip.is_loopback or bool(getattr(ip, "ipv4_mapped", None) and ip.ipv4_mapped.is_loopback)


def _local(host: str, opts: ScanOptions) -> bool:
    """Offline mode's "on this machine": loopback, or a name the test resolver sends there."""
    if is_loopback(host):
        return True
    if opts.resolver is None:
        return False
    try:
        return any(is_loopback(a) for a in opts.resolver(host))
    except Exception:  # noqa: BLE001 - the resolver does not know the name
        return False


class Recorder:
    """Requests of one context, in order, with a flag for those after the banner answer."""

    def __init__(self) -> None:
        self.entries: dict = {}  # Request object -> entry
        self.after_choice = False
        self.count = 0  # requests the router saw (the request-count limit)

    def on_request(self, request) -> None:
        url = request.url
        entry = {"url": url, "host": host_of(url), "type": request.resource_type,
                 "failed": False, "after_choice": self.after_choice}
        try:
            if request.service_worker is not None:
                entry["service_worker"] = True
        except Exception:  # noqa: BLE001 - older Playwright
            pass
        self.entries[request] = entry

    def on_blocked(self, source, url: str, kind: str) -> None:
        """A consent event the page tried to send, refused before it reached the network."""
        self.entries[object()] = {"url": url, "host": host_of(url), "type": kind,
                                  "failed": True, "error": "blocked by the site scan",
                                  "after_choice": self.after_choice}

    def on_failed(self, request) -> None:
        entry = self.entries.get(request)
        if entry is not None:
            entry["failed"] = True
            entry["error"] = request.failure or "failed"

    def requests(self) -> list[dict]:
        return list(self.entries.values())


def _router(opts: ScanOptions, recorder: Recorder, notes: list[str]):
    # Only fulfil/abort/continue here: route.fetch() would go out from Playwright's driver,
    # past the egress proxy.
    def handle(route, request):
        url = request.url
        recorder.count += 1
        if recorder.count > opts.max_requests:
            if recorder.count == opts.max_requests + 1:
                notes.append(f"request limit reached: requests after the first "
                             f"{opts.max_requests} of a visit were not made")
            return route.abort("blockedbyclient")
        if not opts.record_consents and request.method == "POST" and CONSENT_API.search(url):
            return route.abort("blockedbyclient")
        if opts.route_handler is not None and opts.route_handler(route, request):
            return None
        if opts.offline and url.startswith(("http:", "https:")) and not _local(host_of(url), opts):
            if request.is_navigation_request() and request.frame.parent_frame is None:
                return route.abort("internetdisconnected")
            body = EMPTY_BODIES.get(request.resource_type, "")
            return route.fulfill(status=200, body=body)
        return route.continue_()

    return handle


class Visit:
    def __init__(self, session: BrowserSession, opts: ScanOptions, kind: str,
                 proxy: EgressProxy | None = None):
        self.opts, self.kind, self.session, self.proxy = opts, kind, session, proxy
        self.notes: list[str] = []
        self.context = session.browser.new_context(
            ignore_https_errors=True, service_workers="allow",
            viewport={"width": 1280, "height": 800},
        )
        self.recorder = Recorder()
        self.context.on("request", self.recorder.on_request)
        self.context.on("requestfailed", self.recorder.on_failed)
        if not opts.record_consents:
            self.context.expose_binding("__csScanBlocked", self.recorder.on_blocked)
            self.context.add_init_script(CONSENT_GUARD)
        self.context.route("**/*", _router(opts, self.recorder, self.notes))
        self.page = self.context.new_page()
        self.navigations: list[str] = []  # URLs of the main frame's current load, redirects too
        self.page.on("request", self._on_request)
        self.static_iframes: list[dict] = []  # <iframe src> in a page's HTML as served
        self.workers: list[dict] = []
        self.page.on("worker", lambda w: self.workers.append({"url": w.url, "kind": "worker"}))
        self.context.on("serviceworker", lambda w: self.workers.append(
            {"url": w.url, "kind": "service_worker"}))
        self.storage: set[str] = set()
        self.session_storage: set[str] = set()
        self.cookies_at_choice: set[tuple] = set()

    def _timeout(self) -> float:
        left = self.session.deadline - time.monotonic()
        if left <= 1:
            raise ScanError("timeout", "the scan took longer than its overall time limit")
        return min(self.opts.page_timeout, left - 1)

    def load(self, url: str, *, first: bool = False, follow_up: bool = False) -> None:
        timeout = self._timeout()
        self.navigations = []
        try:
            response = self.page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
        except Exception as exc:  # noqa: BLE001
            self._check_blocked(url, None)
            raise _load_error(url, exc, self.session) from None
        self._check_blocked(url, response)
        if first:
            _check_document(url, response)
        if self.kind == "before_consent":
            self.static_iframes += _static_iframes(response)
        try:
            self.page.wait_for_load_state("load", timeout=self._timeout() * 1000)
        except ScanError:
            raise
        except Exception:  # noqa: BLE001 - keep what loaded; say so in the report
            self.notes.append(f"{url} did not finish loading within {self.opts.page_timeout:g} s")
        # Late trackers are watched for on the first page of a visit; further pages of the
        # same visit share its state, so a shorter watch keeps a 5-page scan well in time.
        self.settle(FOLLOW_UP_SETTLE if follow_up else None)
        self.collect_storage()

    def _on_request(self, request) -> None:
        try:
            if request.is_navigation_request() and request.frame.parent_frame is None:
                self.navigations.append(request.url)
        except Exception:  # noqa: BLE001 - a frame that is gone
            pass

    def _check_blocked(self, url: str, response) -> None:
        """A page the network policy refused (directly or at the end of its redirects) is
        an error, not a page to report on."""
        if self.proxy is None:
            return
        urls = [url, *self.navigations]
        if response is not None:
            urls.append(response.url)
        for candidate in urls:
            host = netpolicy.url_host(candidate) or ""
            reason = self.proxy.is_blocked(host)
            if reason:
                raise ScanError("blocked", f"{host} may not be scanned: {reason} (the "
                                "scanner does not reach internal networks)")
        failure = self.proxy.failure(netpolicy.url_host(urls[-1]) or "")
        if failure and (response is None or response.status == 502):
            raise ScanError("unreachable", f"{url} could not be loaded: {failure}")

    def settle(self, cap: float | None = None) -> None:
        wait = min(self.opts.settle if cap is None else min(cap, self.opts.settle),
                   max(0.0, self.session.deadline - time.monotonic() - 2))
        if wait > 0:
            self.page.wait_for_timeout(wait * 1000)

    def collect_storage(self) -> None:
        js = ("() => { const k = (s) => { try { return Object.keys(s); } catch (e) { return []; }"
              " }; return [k(window.localStorage), k(window.sessionStorage)]; }")
        try:
            local, session = self.page.evaluate(js)
        except Exception:  # noqa: BLE001
            return
        self.storage.update(local)
        self.session_storage.update(session)

    def mark_choice(self) -> None:
        self.cookies_at_choice = {_cookie_key(c) for c in self.context.cookies()}
        self.recorder.after_choice = True

    def links(self, limit: int) -> list[str]:
        if limit <= 0:
            return []
        try:
            hrefs = self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        except Exception:  # noqa: BLE001
            return []
        base = self.page.url
        site = registrable_domain(host_of(base))
        out: list[str] = []
        for href in hrefs:
            url = urldefrag(urljoin(base, href))[0]
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or SKIP_LINK.search(parts.path):
                continue
            # the host as Chromium will read it (WHATWG), not as urllib does
            if registrable_domain(netpolicy.url_host(url) or "") != site or url in out:
                continue
            if url == urldefrag(base)[0]:
                continue
            out.append(url)
            if len(out) >= limit:
                break
        return out

    def screenshot(self) -> str | None:
        try:
            return base64.b64encode(self.page.screenshot(type="png", timeout=10_000)).decode()
        except Exception:  # noqa: BLE001
            return None

    def result(self, site_domain: str) -> dict:
        cookies = []
        for c in self.context.cookies():
            cookies.append({
                "name": c["name"], "domain": c["domain"], "path": c.get("path", "/"),
                "expires": iso(c.get("expires")),
                "third_party": registrable_domain(c["domain"].lstrip(".")) != site_domain,
                "after_choice": _cookie_key(c) not in self.cookies_at_choice
                if self.recorder.after_choice else False,
            })
        requests = self.recorder.requests()
        if self.proxy is not None:
            for entry in requests:
                reason = self.proxy.is_blocked(netpolicy.url_host(entry["url"]) or "")
                if reason:
                    entry.update(failed=True, blocked=True, error=f"blocked: {reason}")
        return {
            "requests": requests,
            "cookies": cookies,
            "static_iframes": self.static_iframes,
            "workers": self.workers,
            "storage": sorted(self.storage),
            "session_storage": sorted(self.session_storage),
            "notes": self.notes,
        }

    def close(self) -> None:
        try:
            self.context.close()
        except Exception:  # noqa: BLE001
            pass


STATIC_HTML_LIMIT = 2 * 1024 * 1024


def _static_iframes(response) -> list[dict]:
    """``<iframe src>`` elements of the document as the server sent it (before any script
    could swap them for placeholders), with absolute URLs."""
    if response is None:
        return []
    try:
        ctype = (response.headers.get("content-type") or "").lower()
        size = int(response.headers.get("content-length") or 0)
        if "html" not in ctype or size > STATIC_HTML_LIMIT:
            return []
        body = response.body()
    except Exception:  # noqa: BLE001 - a body the browser no longer has
        return []
    if len(body) > STATIC_HTML_LIMIT:
        return []
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "lxml")
    base_tag = soup.find("base", href=True)
    base = urljoin(response.url, base_tag["href"]) if base_tag else response.url
    out = []
    for frame in soup.find_all("iframe", src=True):
        if frame.find_parent("noscript") is not None:  # never loads with scripts on
            continue
        src = urljoin(base, frame["src"].strip())
        if src.startswith(("http://", "https://")):
            out.append({"url": src, "page": response.url})
    return out


def _cookie_key(c: dict) -> tuple:
    return (c["name"], c["domain"], c.get("path"), c.get("value"))


def _check_document(url: str, response) -> None:
    if response is None:
        return
    if response.status >= 400:
        raise ScanError("http-error", f"{url} answered HTTP {response.status}")
    ctype = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype and ctype not in ("text/html", "application/xhtml+xml"):
        raise ScanError("not-html", f"{url} is not HTML ({ctype})")


def _load_error(url: str, exc: Exception, session: BrowserSession) -> ScanError:
    text = str(exc)
    if session.timed_out or time.monotonic() > session.deadline:
        return ScanError("timeout", "the scan took longer than its overall time limit")
    if "Timeout" in type(exc).__name__ or "Timeout" in text.split("\n")[0]:
        return ScanError("timeout", f"{url} did not load in time")
    if "net::ERR_ABORTED" in text:
        # Chromium aborts navigations that became downloads (PDF, zip ...)
        return ScanError("not-html", f"{url} is not HTML (the browser would download it)")
    m = re.search(r"net::ERR_[A-Z_]+", text)
    reason = m.group(0) if m else text.split("\n")[0][:200]
    return ScanError("unreachable", f"{url} could not be loaded: {reason}")


def run_visits(url: str, opts: ScanOptions) -> dict:
    """Drive Chromium through the three visits; the raw material for the report."""
    deadline = time.monotonic() + opts.total_timeout
    site_domain = registrable_domain(host_of(url))
    out: dict = {"pages": [url], "language": None, "screenshot": None, "banner": None,
                 "visits": {}, "notes": [], "blocked": []}
    try:
        allow = (netpolicy.allowed_from_env() if opts.allow_networks is None
                 else netpolicy.parse_networks(opts.allow_networks))
    except netpolicy.PolicyError as exc:
        raise ScanError("bad-setting", str(exc), 3) from None
    proxy = EgressProxy(allow=allow, resolver=opts.resolver,
                        max_response_bytes=opts.max_response_bytes,
                        max_total_bytes=opts.max_total_bytes)
    with proxy, BrowserSession(opts.chromium, deadline, proxy.chromium_args(),
                               sandbox=opts.sandbox) as session:
        session.proxy = proxy
        try:
            _before(session, opts, url, site_domain, out)
            for kind, choice in (("after_accept", "accept"), ("after_reject", "reject")):
                out["visits"][kind] = (
                    _after(session, opts, out["pages"], choice, site_domain, out)
                    if out["banner"]["found"] else None
                )
        except ScanError:
            raise
        except Exception as exc:  # noqa: BLE001 - a killed browser surfaces as any error
            if session.timed_out or time.monotonic() > deadline:
                raise ScanError("timeout", "the scan took longer than its overall time "
                                f"limit ({opts.total_timeout:g} s)") from None
            raise ScanError("browser-error", f"the browser failed: {str(exc)[:200]}") from None
        out["blocked"] = proxy.blocked_hosts()
        out["notes"] += [f"limit reached: {what}" for what in proxy.limits]
    return out


def _before(session, opts, url, site_domain, out) -> None:
    visit = Visit(session, opts, "before_consent", session.proxy)
    try:
        visit.load(url, first=True)
        found = banners.wait_for_banner(visit.page, min(opts.banner_wait, visit._timeout()))
        try:
            lang = visit.page.evaluate("() => document.documentElement.lang || ''")
        except Exception:  # noqa: BLE001
            lang = ""
        out["language"] = (lang or "").split("-")[0].lower() or None
        if opts.screenshot:
            out["screenshot"] = visit.screenshot()
        out["banner"] = {"found": bool(found["found"]), "cmp": found["cmp"] if found["found"]
                         else None, "reject_on_first_layer": bool(found["reject"])
                         if found["found"] else None}
        if found.get("loaded") and not found["found"]:
            out["notes"].append("the consent-service banner is loaded but did not show")
        out["pages"] += visit.links(opts.pages - 1)
        for page_url in out["pages"][1:]:
            try:
                visit.load(page_url, follow_up=True)
            except ScanError as exc:
                if exc.code == "timeout" and time.monotonic() > session.deadline - 1:
                    raise
                visit.notes.append(exc.message)
        out["visits"]["before_consent"] = visit.result(site_domain)
    finally:
        visit.close()


def _after(session, opts, pages, choice, site_domain, out) -> dict | None:
    kind = "after_accept" if choice == "accept" else "after_reject"
    visit = Visit(session, opts, kind, session.proxy)
    try:
        visit.load(pages[0])
        clicked = banners.answer(visit.page, choice, min(opts.banner_wait, visit._timeout()))
        if clicked is None:
            out["notes"].append(f"no '{choice} all' button could be clicked")
            return None
        visit.mark_choice()
        visit.settle()
        visit.collect_storage()
        for page_url in pages[1:] or pages[:1]:
            try:
                visit.load(page_url, follow_up=len(pages) > 1)
            except ScanError as exc:
                if exc.code == "timeout" and time.monotonic() > session.deadline - 1:
                    raise
                visit.notes.append(exc.message)
        return visit.result(site_domain)
    finally:
        visit.close()
