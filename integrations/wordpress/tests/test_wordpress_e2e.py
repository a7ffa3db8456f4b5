"""End-to-end: WordPress with the consent-service plugin, a live consent-service, Chromium.

Skips when WordPress, PHP, MariaDB, Chromium or the banner bundle are missing, unless CI is
set (then it fails: `.ci/run` installs them with scripts/install-wordpress-deps.sh).
Screenshots go to artifacts/wordpress/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from wp_harness import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    CHROMIUM,
    ROOT,
    YOUTUBE_EMBED,
    Stack,
    http_get,
    missing_tools,
)

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts" / "wordpress"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TRACKER_ROUTES = ["https://www.googletagmanager.com/**", "https://connect.facebook.net/**",
                  "https://www.google-analytics.com/**", "https://www.facebook.com/tr*",
                  "https://www.youtube.com/**", "https://px.ads.linkedin.com/**"]
# Stand-ins for the vendors' scripts: they send the hit the real ones would.
GTAG_STUB = ("window.__gtagLoaded = true;"
             "new Image().src = 'https://www.google-analytics.com/g/collect?v=2&tid=G-TEST&en=page_view';")
FBEVENTS_STUB = ("window.__fbeventsLoaded = true;"
                 "new Image().src = 'https://www.facebook.com/tr?id=100000000000001&ev=PageView';")
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f9040100000000"
                    "2c00000000010001000002024401003b")
WAIT_MS = 15_000

FI = {"accept": "Hyväksy kaikki", "reject": "Hylkää kaikki"}
EN = {"accept": "Accept all", "reject": "Reject all"}


@pytest.fixture(scope="module")
def stack():
    missing = missing_tools()
    if missing:
        reason = "WordPress end-to-end test needs: " + "; ".join(missing) + \
                 " (run scripts/install-wordpress-deps.sh and build banner_js)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wp-e2e-") as tmp:
        s = Stack(Path(tmp))
        try:
            s.start_consent_service()
            s.install_wordpress()
            s.start_wordpress()
            s.setup_seconds = round(time.monotonic() - started, 1)
            yield s
        finally:
            log = s.debug_log()
            s.close()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "e2e-timing.json").write_text(json.dumps({
                "setup_seconds": getattr(s, "setup_seconds", None),
                "total_seconds": round(time.monotonic() - started, 1)}))
            if log:
                (ARTIFACTS / "wp-debug.log").write_text(log)


@pytest.fixture(scope="module")
def browser(stack):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                              timeout=60_000)
        try:
            yield b
        finally:
            b.close()


class Recorder:
    """A browser context whose off-machine requests are recorded and answered locally."""

    def __init__(self, browser):
        self.trackers: list[str] = []
        self.external: list[str] = []
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 860})
        self.ctx.set_default_timeout(WAIT_MS)
        self.ctx.route("**/*", self._other)  # registered first: tracker routes win
        for pattern in TRACKER_ROUTES:
            self.ctx.route(pattern, self._tracker)
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _other(self, route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def _tracker(self, route):
        url = route.request.url
        self.trackers.append(url)
        if "gtag/js" in url:
            route.fulfill(status=200, content_type="application/javascript", body=GTAG_STUB)
        elif "fbevents.js" in url:
            route.fulfill(status=200, content_type="application/javascript", body=FBEVENTS_STUB)
        elif "youtube.com/embed" in url:
            route.fulfill(status=200, content_type="text/html", body="<p>video</p>")
        else:
            route.fulfill(status=200, content_type="image/gif", body=GIF)

    def wait_trackers(self, needles: list[str], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(any(n in u for u in self.trackers) for n in needles):
                return
            self.page.wait_for_timeout(200)
        raise AssertionError(f"tracker requests {needles} not all seen: {self.trackers}")

    def close(self):
        self.ctx.close()


@pytest.fixture
def rec(browser):
    r = Recorder(browser)
    try:
        yield r
    finally:
        r.close()


def banner_button(page, label):
    return page.locator(".banner button", has_text=label)


def open_home(rec, stack, labels=FI):
    rec.page.goto(stack.wp_url + "/", wait_until="load")
    banner_button(rec.page, labels["accept"]).wait_for(state="visible")
    rec.page.wait_for_timeout(1000)  # let anything that would fire, fire


def open_settings_page(stack, page):
    """Log in as the admin and open Settings → Consent Service."""
    page.goto(stack.wp_url + "/wp-login.php", wait_until="load")
    page.fill("#user_login", ADMIN_USER)
    page.fill("#user_pass", ADMIN_PASSWORD)
    page.click("#wp-submit")
    # `php -S` serves one request at a time; in one CI run the login's redirect took over
    # Playwright's default 15 s (the same steps passed in the runs before and after it).
    page.wait_for_url("**/wp-admin/**", timeout=60_000)
    page.goto(stack.wp_url + "/wp-admin/options-general.php?page=consent-service",
              wait_until="load")


def head_of(html: str) -> str:
    return html[html.index("<head"):html.index("</head>")]


def test_loader_is_first_in_head_and_gtag_is_held_back(stack):
    html = http_get(stack.wp_url + "/")
    head = head_of(html)
    loader = f'<script src="{stack.cs_url}/loader/{stack.site_key}.js" id="consent-service-loader">'
    assert loader in head
    before = head[head.index(">") + 1:head.index(loader)]
    # Only the theme's <meta charset> (printed before wp_head()) may precede the loader.
    assert re.fullmatch(r"\s*(<meta charset=[^>]*>\s*)?", before), before
    first_tag = re.search(r"<(script|link|style|meta|title)\b", head[head.index(">") + 1:])
    assert first_tag and first_tag.group(0) in ("<meta", "<script")
    assert head.index(loader) < head.index('id="e2e-early-head"')  # wp_head priority 1
    assert head.index(loader) < head.index("e2e-meta-pixel")
    # The enqueued gtag.js and its inline config are held back; the local script is not.
    gtag = re.search(r"<script[^>]*googletagmanager\.com/gtag/js[^>]*>", head).group(0)
    assert 'type="text/plain"' in gtag and 'data-category="analytics"' in gtag
    after = re.search(r"<script[^>]*id=['\"]google-gtag-js-after['\"][^>]*>", head).group(0)
    assert 'type="text/plain"' in after and 'data-category="analytics"' in after
    local = re.search(r"<script[^>]*id=['\"]e2e-local-js-after['\"][^>]*>", head).group(0)
    assert "text/plain" not in local
    assert head.index(loader) < head.index("googletagmanager.com/gtag/js")
    assert '<html lang="fi"' in html


def test_no_tracker_before_consent_then_accept_loads_them(stack, rec):
    page = rec.page
    open_home(rec, stack)
    assert rec.trackers == [], rec.trackers
    assert page.evaluate("window.__e2eEarly") is True  # the loader ran before priority-1 code
    assert page.evaluate("window.__e2eLocalRan") == 1
    assert page.evaluate("!!window.__gtagLoaded || !!window.__fbeventsLoaded") is False
    head = page.evaluate("Array.from(document.head.children).slice(0, 3)"
                         ".map(e => e.outerHTML.slice(0, 120))")
    # (The pixel snippet inserts fbevents.js before the first script: that one is blocked.)
    assert page.evaluate("document.querySelector('head > script:not([data-cs-blocked])').id") == \
        "consent-service-loader", head
    cookies = [c["name"] for c in rec.ctx.cookies()]
    assert not [c for c in cookies if c.startswith(("_ga", "_fb"))], cookies

    banner_button(page, FI["accept"]).click()
    rec.wait_trackers(["googletagmanager.com/gtag/js", "google-analytics.com/g/collect",
                       "connect.facebook.net/en_US/fbevents.js", "facebook.com/tr"])
    assert page.evaluate("window.__gtagLoaded && window.__fbeventsLoaded") is True
    # gtag's inline config ran after gtag.js, once.
    assert page.evaluate(
        "window.dataLayer.filter(a => a[0] === 'config' && a[1] === 'G-TEST').length") == 1
    events = stack.wait_events(1)
    assert events[-1]["action"] == "accept_all"
    assert events[-1]["policy_version"] == stack.policy_version
    choices = events[-1]["choices"]
    assert choices["analytics"] is choices["marketing"] is True and all(choices.values())
    assert events[-1]["language"] == "fi"
    assert events[-1]["page_url"].startswith(stack.wp_url)
    assert rec.external == [], rec.external
    assert rec.errors == [], rec.errors

    # The next page view runs them at once, without the banner.
    rec.trackers.clear()
    page.goto(stack.wp_url + "/", wait_until="load")
    rec.wait_trackers(["googletagmanager.com/gtag/js", "connect.facebook.net"])
    assert not banner_button(page, FI["accept"]).is_visible()

    # Withdrawing through the [consent_settings] button is as easy: one click to open, one
    # to reject; the service records a withdrawal.
    page.locator("main button[data-consent-open]").click()
    modal = page.locator(".modal[role=dialog]")
    modal.wait_for(state="visible")
    modal.locator("button", has_text=FI["reject"]).click()
    events = stack.wait_events(2)
    assert events[-1]["action"] == "withdraw"
    assert events[-1]["choices"]["analytics"] is False
    rec.trackers.clear()
    page.goto(stack.wp_url + "/", wait_until="load")
    page.wait_for_timeout(1500)
    assert rec.trackers == [], rec.trackers


def test_reject_loads_nothing(stack, rec):
    page = rec.page
    before = len(stack.consent_events())
    open_home(rec, stack)
    banner_button(page, FI["reject"]).click()
    events = stack.wait_events(before + 1)
    assert events[-1]["action"] == "reject_all"
    assert events[-1]["policy_version"] == stack.policy_version
    choices = events[-1]["choices"]
    assert choices.pop("necessary") is True and choices and not any(choices.values())
    page.wait_for_timeout(1500)
    page.goto(stack.wp_url + "/", wait_until="load")
    page.wait_for_timeout(1500)
    assert rec.trackers == [], rec.trackers
    assert not banner_button(page, FI["reject"]).is_visible()  # not asked again at once
    assert rec.external == [], rec.external


def test_consent_settings_block_and_shortcode_reopen_the_banner(stack, rec):
    page = rec.page
    open_home(rec, stack)
    banner_button(page, FI["reject"]).click()
    page.locator(".banner").wait_for(state="hidden")
    button = page.locator("main button[data-consent-open]")
    assert button.inner_text().strip() == "Evästeasetukset"  # the plugin's fi translation
    button.click()
    page.locator(".modal[role=dialog]").wait_for(state="visible")

    page.goto(f"{stack.wp_url}/?page_id={stack.pages['block']}", wait_until="load")
    block = page.locator(
        "main .wp-block-consent-service-consent-settings button[data-consent-open]")
    assert block.inner_text().strip() == "Muuta evästeasetuksia"
    assert not page.locator(".modal[role=dialog]").is_visible()
    block.click()
    page.locator(".modal[role=dialog]").wait_for(state="visible")
    assert rec.trackers == [], rec.trackers


@pytest.mark.parametrize("lang,labels,locale", [("fi", FI, "fi"), ("en", EN, "")])
def test_screenshots(stack, rec, lang, labels, locale):
    stack.set_language(locale)
    try:
        open_home(rec, stack, labels)
        assert rec.page.evaluate("document.documentElement.lang").startswith(lang)
        assert banner_button(rec.page, labels["reject"]).is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        rec.page.screenshot(path=str(ARTIFACTS / f"wordpress-banner-{lang}.png"))
        assert rec.trackers == [], rec.trackers
    finally:
        stack.set_language("fi")


def test_settings_page_test_connection_and_validation(stack, rec):
    page = rec.page
    open_settings_page(stack, page)
    assert page.input_value("#consent_service_service_url") == stack.cs_url
    assert page.input_value("#consent_service_site_key") == stack.site_key
    assert page.locator('script[src*="/loader/"]').count() == 0  # not in the admin

    page.click("#consent_service_test")
    result = page.locator("#consent-service-test-result")
    result.wait_for(state="visible")
    # The site language is Finnish and the plugin ships a Finnish translation.
    assert f"Julkaistu käytäntöversio: {stack.policy_version}" in result.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wordpress-settings.png"), full_page=True)

    # A plain-http URL to another host and a malformed key are refused; the old values stay.
    page.fill("#consent_service_service_url", "http://consent.example.com")
    page.fill("#consent_service_site_key", "sk_not-a-site-key")
    page.click("#submit")
    page.wait_for_load_state("load")
    errors = page.locator(".notice-error, .error").all_inner_texts()
    text = " ".join(errors)
    assert "pitää alkaa https://" in text and "alkaa pk_" in text, errors
    assert page.input_value("#consent_service_service_url") == stack.cs_url
    assert page.input_value("#consent_service_site_key") == stack.site_key

    # A wrong key saves (the format is right) but the test reports the service's 404.
    page.fill("#consent_service_site_key", "pk_doesnotexist")
    page.click("#submit")
    page.wait_for_load_state("load")
    page.click("#consent_service_test")
    result = page.locator("#consent-service-test-result")
    result.wait_for(state="visible")
    assert "Yhteys epäonnistui" in result.inner_text() and "404" in result.inner_text()

    # Without the form's nonce the test action is refused.
    resp = page.request.post(stack.wp_url + "/wp-admin/admin-post.php",
                             form={"action": "consent_service_test_connection"})
    assert resp.status in (403, 200) and "consent-service-test-result" not in resp.text()
    assert "link you followed has expired" in resp.text() or resp.status == 403

    page.fill("#consent_service_site_key", stack.site_key)
    page.click("#submit")
    page.wait_for_load_state("load")
    assert page.input_value("#consent_service_site_key") == stack.site_key

    # The block's editor script (no build step) registers it in the block editor.
    rec.errors.clear()
    page.goto(stack.wp_url + "/wp-admin/post-new.php?post_type=page", wait_until="load")
    page.wait_for_function(
        "window.wp && wp.blocks && wp.data && wp.data.select('core/block-editor') &&"
        " !!wp.blocks.getBlockType('consent-service/consent-settings')", timeout=30_000)
    page.evaluate("wp.data.dispatch('core/block-editor').insertBlocks("
                  "wp.blocks.createBlock('consent-service/consent-settings'))")
    preview = page.locator(".wp-block-consent-service-consent-settings button")
    preview.wait_for(state="visible")
    # The site is Finnish: the editor's strings come from the plugin's Jed JSON (i18n.py).
    assert preview.inner_text().strip() == "Evästeasetukset"
    assert rec.errors == [], rec.errors


# --- Hard-coded trackers (classic theme), page caches, WP Consent API --------------------
# The theme cs-e2e pastes gtag.js (before wp_head(), so before the loader) and a Meta pixel
# into header.php; a footer widget holds an <img> pixel; the post embeds YouTube as HTML.
HARD_TRACKERS = ["googletagmanager.com/gtag/js?id=G-HARD", "google-analytics.com/g/collect",
                 "connect.facebook.net/en_US/fbevents.js", "facebook.com/tr?id=100000000000001",
                 "youtube.com/embed/e2eVideo01", "px.ads.linkedin.com/collect"]


@pytest.fixture(scope="module")
def classic(stack):
    stack.switch_theme("cs-e2e")
    try:
        yield f"{stack.wp_url}/?p={stack.pages['video']}"
    finally:
        stack.switch_theme("twentytwentythree")


def start_tag(html: str, needle: str, tag: str = "") -> str:
    """The start tag holding `needle` in an attribute, or (tag="script") in its text."""
    lt = html.rindex("<" + tag, 0, html.index(needle))
    return html[lt:html.index(">", lt) + 1]


def php_consent(rec, stack) -> dict:
    """What wp_has_consent() says in PHP for this browser's cookies."""
    resp = rec.page.request.get(stack.wp_url + "/?e2e_consent=1")
    assert resp.ok and resp.headers["content-type"].startswith("application/json")
    return resp.json()


def test_hard_coded_tags_are_rewritten_on_the_server(stack, classic):
    html = http_get(classic)
    head = head_of(html)
    loader = 'id="consent-service-loader"'
    gtag = start_tag(head, "gtag/js?id=G-HARD")
    assert 'type="text/plain"' in gtag and 'data-category="analytics"' in gtag
    assert head.index("gtag/js?id=G-HARD") < head.index(loader)  # pasted before wp_head()
    inline = start_tag(head, "gtag('config', 'G-HARD')", "script")
    assert 'type="text/plain"' in inline and 'data-category="analytics"' in inline
    pixel = start_tag(head, "fbq('init', '100000000000002')", "script")
    assert 'type="text/plain"' in pixel and 'data-category="marketing"' in pixel
    noscript = start_tag(head, "tr?id=100000000000002")
    assert "data-src=" in noscript and " src=" not in noscript
    iframe = start_tag(html, YOUTUBE_EMBED)
    assert f'data-src="{YOUTUBE_EMBED}"' in iframe and 'data-category="marketing"' in iframe
    assert " src=" not in iframe.replace("data-src=", "")
    assert 'data-cs-service="youtube"' in iframe  # the banner names the service on its placeholder
    img = start_tag(html, "px.ads.linkedin.com")
    assert 'id="e2e-widget-pixel"' in img and "data-src=" in img
    assert " src=" not in img.replace("data-src=", "")
    # Everything else is byte for byte what WordPress printed.
    local = start_tag(head, "window.__e2eThemeLocal", "script")
    assert local == '<script id="e2e-local-inline">'
    assert head.count(loader) == 1
    # JSON, REST and feeds are left alone.
    probe = json.loads(http_get(stack.wp_url + "/?e2e_consent=1"))["probe"]
    assert probe == '<script src="https://connect.facebook.net/en_US/fbevents.js"></script>'
    rest = json.loads(http_get(f"{stack.wp_url}/?rest_route=/wp/v2/posts/{stack.pages['video']}"))
    assert f'src="{YOUTUBE_EMBED}"' in rest["content"]["rendered"]
    feed = http_get(stack.wp_url + "/?feed=rss2")
    assert f'src="{YOUTUBE_EMBED}"' in feed and "data-category" not in feed


def test_the_page_is_the_same_for_every_visitor(stack, classic):
    """A page cache stores one copy for everyone: consent cookies must not change the HTML."""
    import urllib.request

    def fetch(cookie: str | None) -> str:
        req = urllib.request.Request(classic, headers={"Cookie": cookie} if cookie else {})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert "Set-Cookie" not in resp.headers
            return resp.read().decode()

    anonymous = fetch(None)
    accepted = fetch("cs_consent=%7B%22v%22%3A1%2C%22c%22%3A%5B%22necessary%22%2C%22analytics"
                     "%22%2C%22marketing%22%5D%7D; wp_consent_statistics=allow; "
                     "wp_consent_marketing=allow")
    assert anonymous == accepted


def test_classic_theme_nothing_before_choice_then_document_order(stack, rec, classic):
    page = rec.page
    page.goto(classic, wait_until="load")
    banner_button(page, FI["accept"]).wait_for(state="visible")
    page.wait_for_timeout(1500)  # let anything that would fire, fire
    assert rec.trackers == [], rec.trackers
    assert page.evaluate("window.__e2eThemeLocal") == 1  # the theme's own script ran
    # The YouTube embed waits behind the banner's placeholder.
    assert page.locator("[data-consent-placeholder]").count() == 1
    # WP Consent API before any choice: opt-in, nothing but functional.
    assert page.evaluate("wp_has_consent('statistics')") is False
    assert page.evaluate("wp_has_consent('functional')") is True
    before = php_consent(rec, stack)
    assert before["active"] and before["registered"] and before["type"] == "optin"
    assert (before["statistics"], before["marketing"], before["functional"]) == (False, False, True)

    banner_button(page, FI["accept"]).click()
    rec.wait_trackers(HARD_TRACKERS)
    order = [next(i for i, u in enumerate(rec.trackers) if n in u)
             for n in ("gtag/js?id=G-HARD", "fbevents.js")]
    assert order == sorted(order), rec.trackers  # scripts run in document order
    assert page.evaluate(
        "window.dataLayer.filter(a => a[0] === 'config' && a[1] === 'G-HARD').length") == 1
    assert page.locator(f'iframe[src="{YOUTUBE_EMBED}"]').count() == 1
    # Other plugins heard the choice: JS event and wp_has_consent in JS and PHP.
    assert "statistics=allow" in page.evaluate("window.__e2eConsentChanges")
    assert page.evaluate("wp_has_consent('statistics')") is True
    after = php_consent(rec, stack)
    assert after["statistics"] is after["marketing"] is after["statistics-anonymous"] is True
    # This site's policy has no preferences category: nobody consented to one.
    assert after["preferences"] is False

    # The stored consent is handed to the API on the next page load too.
    rec.trackers.clear()
    page.goto(classic, wait_until="load")
    rec.wait_trackers(["gtag/js?id=G-HARD", "fbevents.js"])
    assert page.evaluate("wp_has_consent('statistics')") is True

    # Withdrawal: the API hears "deny" at once and PHP sees it on the next request.
    page.evaluate("window.consentService.open()")
    modal = page.locator(".modal[role=dialog]")
    modal.wait_for(state="visible")
    modal.locator("button", has_text=FI["reject"]).click()
    page.wait_for_function("window.__e2eConsentChanges.includes('statistics=deny')")
    assert page.evaluate("wp_has_consent('statistics')") is False
    withdrawn = php_consent(rec, stack)
    assert withdrawn["statistics"] is withdrawn["marketing"] is False
    rec.trackers.clear()
    page.goto(classic, wait_until="load")
    page.wait_for_timeout(1500)
    assert rec.trackers == [], rec.trackers
    assert rec.external == [], rec.external
    assert rec.errors == [], rec.errors


def test_classic_theme_reject_loads_nothing(stack, rec, classic):
    page = rec.page
    page.goto(classic, wait_until="load")
    banner_button(page, FI["reject"]).click()
    page.wait_for_timeout(1500)
    page.goto(classic, wait_until="load")
    page.wait_for_timeout(1500)
    assert rec.trackers == [], rec.trackers
    assert php_consent(rec, stack)["statistics"] is False
    assert page.evaluate("window.__e2eConsentChanges").count("statistics=allow") == 0


def test_cached_copy_behaves_the_same(stack, browser, classic):
    """A page cache stores the page once and serves the copy to later visitors."""
    stored = http_get(classic)
    cache = stack.docroot / "e2e-cache"
    cache.mkdir(exist_ok=True)
    (cache / "video.html").write_text(stored)
    url = stack.wp_url + "/e2e-cache/video.html"
    for choice in ("reject", "accept"):
        r = Recorder(browser)
        try:
            r.page.goto(url, wait_until="load")
            banner_button(r.page, FI[choice]).wait_for(state="visible")
            r.page.wait_for_timeout(1500)
            assert r.trackers == [], (choice, r.trackers)
            banner_button(r.page, FI[choice]).click()
            if choice == "accept":
                r.wait_trackers(HARD_TRACKERS)
            else:
                r.page.wait_for_timeout(1500)
                r.page.goto(url, wait_until="load")
                r.page.wait_for_timeout(1000)
                assert r.trackers == [], r.trackers
            assert r.external == [], r.external
        finally:
            r.close()


def test_service_fetches_follow_no_redirect_and_reach_no_other_internal_host(stack):
    """Issue 20: wp_safe_remote_get, no redirects, https only except an allowed host."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: dict[str, list[str]] = {"redirector": [], "target": []}

    def handler(name, status, location=None):
        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                hits[name].append(self.path)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass
        return H

    target = ThreadingHTTPServer(("127.0.0.1", 0), handler("target", 200))
    tport = target.server_address[1]
    redirector = ThreadingHTTPServer(
        ("127.0.0.1", 0), handler("redirector", 302,
                                  f"http://127.0.0.1:{tport}/api/v1/sites/pk_x/config"))
    rport = redirector.server_address[1]
    for server in (target, redirector):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = stack.php(f"""
add_filter( 'consent_service_allowed_hosts', function ( $hosts ) {{
	$hosts[] = '127.0.0.1:{rport}';
	return $hosts;
}} );
$code = function ( $url, $key = 'pk_x' ) {{
	$r = Consent_Service_Remote_Config::fetch( $url, $key );
	return is_wp_error( $r ) ? $r->get_error_code() : 'fetched';
}};
echo wp_json_encode( array(
	'redirect' => $code( 'http://127.0.0.1:{rport}' ),
	'https_internal' => $code( 'https://127.0.0.1:{tport}' ),
	'http_not_allowed' => $code( 'http://127.0.0.1:{tport}' ),
	'allowed' => $code( '{stack.cs_url}', '{stack.site_key}' ),
	'saved_http' => is_wp_error(
		Consent_Service_Options::validate_service_url( 'http://127.0.0.1:{tport}' ) ),
) );
""")
    finally:
        for server in (target, redirector):
            server.shutdown()
            server.server_close()
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"redirect": "consent_service_redirect",
                      "https_internal": "http_request_failed",
                      "http_not_allowed": "consent_service_scheme", "allowed": "fetched",
                      "saved_http": True}, result
    assert hits["redirector"] == ["/api/v1/sites/pk_x/config"]
    assert hits["target"] == []  # neither the redirect nor the direct tries reached it


def test_witness_keeps_signed_heads_and_the_verifier_accepts_them(stack, rec):
    """Issue 19: the hourly cron stores the seal heads; the admin downloads the witness file."""
    # One more event to seal, posted as the banner posts it (the banner itself is tested above).
    import urllib.request
    import uuid

    before = len(stack.consent_events())
    config = json.loads(http_get(f"{stack.cs_url}/api/v1/sites/{stack.site_key}/config"))
    body = {"event_id": str(uuid.uuid4()), "policy_version": stack.policy_version,
            "action": "reject_all", "language": "fi", "banner_hash": config["banner_hashes"]["fi"],
            "choices": {c["id"]: bool(c["required"]) for c in config["categories"]},
            "page_url": stack.wp_url + "/", "gpc": False}
    req = urllib.request.Request(
        f"{stack.cs_url}/api/v1/sites/{stack.site_key}/consents", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Origin": stack.wp_url}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 201
    stack.wait_events(before + 1)
    stack.cs_cli("keys", "init")
    stack.cs_cli("seal", "--site", stack.site_key)
    http_get(stack.wp_url + "/")  # init schedules the hourly fetch
    first = json.loads(stack.php("""
echo wp_json_encode( array(
	'schedule' => wp_get_schedule( 'consent_service_fetch_seals' ),
	'added' => Consent_Service_Witness::fetch(),
	'file' => Consent_Service_Witness::file(),
) );""").strip().splitlines()[-1])
    assert first["schedule"] == "hourly"
    assert first["added"] >= 1 and first["file"]["site_key"] == stack.site_key
    heads = first["file"]["heads"]
    served = json.loads(http_get(f"{stack.cs_url}/api/v1/sites/{stack.site_key}/seals?after=0"))
    assert heads == served["heads"]  # kept exactly as served
    # The next run asks only for heads after the last one kept.
    again = json.loads(stack.php("echo wp_json_encode( Consent_Service_Witness::fetch() );")
                       .strip().splitlines()[-1])
    assert again == 0

    # The site owner downloads it from the settings page.
    page = rec.page
    open_settings_page(stack, page)
    assert f"{len(heads)}" in page.locator("#consent-service-witness-status").inner_text()
    with page.expect_download() as info:
        page.click("#consent_service_witness")
    path = info.value.path()
    downloaded = json.loads(Path(path).read_text())
    assert downloaded == {"site_key": stack.site_key, "heads": heads}
    # The verifier reads it: the live log agrees with every witnessed head.
    witness = stack.tmp / "witness.json"
    witness.write_text(json.dumps(downloaded))
    res = subprocess.run(
        [sys.executable, "-c", "from consent_service.cli import main; main()", "verify",
         "--site", stack.site_key, "--witness", str(witness)],
        cwd=ROOT, env=stack._cs_env, capture_output=True, text=True, timeout=120)
    assert not res.stdout.startswith("INVALID"), res.stdout + res.stderr
    assert res.returncode in (0, 4), res.stdout + res.stderr


def test_site_health_tests_and_unreachable_notice(stack):
    out = json.loads(stack.php("""
$tests = apply_filters( 'site_status_tests', array( 'direct' => array(), 'async' => array() ) );
$out = array();
$ids = array( 'consent_service_reachable', 'consent_service_policy', 'consent_service_loader' );
foreach ( $ids as $id ) {
	$r = call_user_func( $tests['direct'][ $id ]['test'] );
	$out[ $id ] = array( $r['status'], wp_strip_all_tags( $r['description'] ) );
}
echo wp_json_encode( $out );
""").strip().splitlines()[-1])
    assert out["consent_service_reachable"][0] == "good", out
    assert out["consent_service_policy"][0] == "good"
    assert str(stack.policy_version) in out["consent_service_policy"][1]
    assert out["consent_service_loader"][0] == "good", out  # twentytwentythree: loader first
    scan = json.loads(stack.php("""
$tests = apply_filters( 'site_status_tests', array( 'direct' => array() ) );
echo wp_json_encode( call_user_func( $tests['direct']['consent_service_scan']['test'] ) );
""").strip().splitlines()[-1])
    assert scan["status"] == "recommended"
    assert f'href="{stack.cs_url}/admin/sites/{stack.site_key}/scans"' in scan["actions"]
    # The classic theme pastes gtag.js before wp_head(), but it is held back (text/plain).
    stack.switch_theme("cs-e2e")
    try:
        status = stack.php("""
$tests = apply_filters( 'site_status_tests', array( 'direct' => array() ) );
echo call_user_func( $tests['direct']['consent_service_loader']['test'] )['status'];
""").strip().splitlines()[-1]
        assert status == "good"
    finally:
        stack.switch_theme("twentytwentythree")


def test_service_down_keeps_trackers_held_back(stack):
    # The config cache expires while the service is down: the last good config still holds
    # gtag.js back (the loader will not load, so nothing would release it: fail closed).
    stack.stop_consent_service()
    stack.php("delete_transient( 'consent_service_config' );")
    started = time.monotonic()
    head = head_of(http_get(stack.wp_url + "/"))
    assert time.monotonic() - started < 10
    gtag = re.search(r"<script[^>]*googletagmanager\.com/gtag/js[^>]*>", head).group(0)
    assert 'type="text/plain"' in gtag and 'data-category="analytics"' in gtag
    # The admin hears of it: a notice on every admin page and a critical Site Health test.
    out = json.loads(stack.php("""
wp_set_current_user( 1 );
ob_start();
Consent_Service_Site_Health::notice();
$notice = ob_get_clean();
$tests = apply_filters( 'site_status_tests', array( 'direct' => array() ) );
$health = call_user_func( $tests['direct']['consent_service_reachable']['test'] );
echo wp_json_encode( array( 'notice' => $notice, 'health' => $health['status'] ) );
""").strip().splitlines()[-1])
    assert 'id="consent-service-unreachable"' in out["notice"], out
    assert out["health"] == "critical"


def test_uninstall_removes_options_and_transients(stack):
    http_get(stack.wp_url + "/")  # fills the config transient
    out = stack.php("""
echo wp_json_encode( array(
	'option' => false !== get_option( 'consent_service_settings' ),
	'cache' => false !== get_transient( 'consent_service_config' ),
) );
""")
    assert json.loads(out.strip().splitlines()[-1]) == {"option": True, "cache": True}
    out = stack.php("""
require_once ABSPATH . 'wp-admin/includes/plugin.php';
deactivate_plugins( 'consent-service/consent-service.php' );
uninstall_plugin( 'consent-service/consent-service.php' );
global $wpdb;
echo wp_json_encode( array(
	'option' => get_option( 'consent_service_settings' ),
	'rows' => (int) $wpdb->get_var(
		"SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE '%consent_service%'" ),
) );
""")
    assert json.loads(out.strip().splitlines()[-1]) == {"option": False, "rows": 0}
    html = http_get(stack.wp_url + "/")
    assert "consent-service-loader" not in html


def test_plugin_logged_no_php_notice(stack):
    ours = [line for line in stack.debug_log().splitlines() if "plugins/consent-service" in line]
    assert ours == [], ours[:5]


def test_multisite_one_site_key_per_site():
    """A network-activated plugin: each site of the network has its own key, loader and
    scheduled seal fetch. (PHP CLI against a second, multisite WordPress: no web server.)"""
    import secrets
    import shutil
    import zipfile

    import wp_harness as h

    missing = missing_tools()
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("needs: " + "; ".join(missing))
    domain = "wp-ms.invalid"  # never resolved: PHP runs from the command line only
    db = "wp_ms_" + secrets.token_hex(4)
    with tempfile.TemporaryDirectory(prefix="wp-ms-") as tmp:
        root = Path(tmp) / "wordpress"
        shutil.copytree(h.WP_CORE, root, symlinks=False,
                        ignore=shutil.ignore_patterns("wp-content"))
        (root / "wp-config.php").unlink(missing_ok=True)
        for sub in ("themes", "plugins", "mu-plugins", "uploads"):
            (root / "wp-content" / sub).mkdir(parents=True)
        (root / "wp-content" / "themes" / "twentytwentythree").symlink_to(h.THEME)
        if not h.PLUGIN_ZIP.exists():
            subprocess.run(["bash", str(h.BUILD)], check=True, timeout=120, capture_output=True)
        with zipfile.ZipFile(h.PLUGIN_ZIP) as z:
            z.extractall(root / "wp-content" / "plugins")
        salts = "".join(f"define( '{k}', '{secrets.token_hex(16)}' );\n" for k in (
            "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
            "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))

        def config(multisite: bool) -> None:
            network = (f"define( 'MULTISITE', true );\ndefine( 'SUBDOMAIN_INSTALL', false );\n"
                       f"define( 'DOMAIN_CURRENT_SITE', '{domain}' );\n"
                       "define( 'PATH_CURRENT_SITE', '/' );\ndefine( 'SITE_ID_CURRENT_SITE', 1 );\n"
                       "define( 'BLOG_ID_CURRENT_SITE', 1 );\n") if multisite else ""
            (root / "wp-config.php").write_text(
                f"<?php\ndefine( 'DB_NAME', '{db}' );\ndefine( 'DB_USER', 'root' );\n"
                f"define( 'DB_PASSWORD', '' );\ndefine( 'DB_HOST', '{h.DB_HOST}:{h.DB_PORT}' );\n"
                f"define( 'DB_CHARSET', 'utf8mb4' );\n{salts}$table_prefix = 'wp_';\n"
                "define( 'WP_ALLOW_MULTISITE', true );\ndefine( 'DISABLE_WP_CRON', true );\n"
                "define( 'WP_HTTP_BLOCK_EXTERNAL', true );\n" + network
                + "if ( ! defined( 'ABSPATH' ) ) { define( 'ABSPATH', __DIR__ . '/' ); }\n"
                "require_once ABSPATH . 'wp-settings.php';\n")

        def php(code: str, uri: str = "/", installing: bool = False) -> str:
            script = root / f"_ms_{secrets.token_hex(4)}.php"
            script.write_text(
                f"<?php\n$_SERVER['HTTP_HOST'] = '{domain}';\n$_SERVER['REQUEST_URI'] = '{uri}';\n"
                "$_SERVER['REQUEST_METHOD'] = 'GET';\n$_SERVER['SERVER_NAME'] = 'localhost';\n"
                + ("define( 'WP_INSTALLING', true );\n" if installing else "")
                + "require __DIR__ . '/wp-load.php';\n" + code + "\n")
            try:
                res = subprocess.run(["php", str(script)], capture_output=True, text=True,
                                     timeout=120, cwd=root)
            finally:
                script.unlink()
            assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
            return res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""

        h.mysql(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
        try:
            config(False)
            php(f"""
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install( 'Net', 'admin', 'admin@example.invalid', false, '', 'x{secrets.token_hex(8)}' );
""", installing=True)
            php(f"""
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/network.php';
global $wpdb;
foreach ( $wpdb->tables( 'ms_global' ) as $t => $p ) {{
	$wpdb->$t = $p;
}}
install_network();
$r = populate_network( 1, '{domain}', 'admin@example.invalid', 'Net', '/', false );
if ( is_wp_error( $r ) ) {{ fwrite( STDERR, $r->get_error_message() ); exit( 1 ); }}
""")
            config(True)
            php(f"""
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$r = activate_plugin( 'consent-service/consent-service.php', '', true );
if ( is_wp_error( $r ) ) {{ fwrite( STDERR, $r->get_error_message() ); exit( 1 ); }}
$second = wpmu_create_blog( '{domain}', '/second/', 'Second', 1 );
if ( is_wp_error( $second ) ) {{ fwrite( STDERR, $second->get_error_message() ); exit( 1 ); }}
foreach ( array( 1 => 'pk_first', $second => 'pk_second' ) as $id => $key ) {{
	switch_to_blog( $id );
	update_option( 'consent_service_settings',
		array( 'service_url' => 'https://cs.invalid', 'site_key' => $key ) );
	Consent_Service_Witness::schedule();
	restore_current_blog();
}}
echo $second;
""")
            probe = """
require_once ABSPATH . 'wp-admin/includes/plugin.php';
ob_start();
Consent_Service_Frontend::print_loader();
echo wp_json_encode( array(
	'blog' => get_current_blog_id(),
	'loader' => ob_get_clean(),
	'active' => is_plugin_active_for_network( 'consent-service/consent-service.php' ),
	'cron' => (bool) wp_next_scheduled( 'consent_service_fetch_seals' ),
) );
"""
            first = json.loads(php(probe, "/"))
            second = json.loads(php(probe, "/second/"))
            assert first["blog"] == 1 and second["blog"] != 1
            assert "/loader/pk_first.js" in first["loader"]
            assert "/loader/pk_second.js" in second["loader"]
            assert first["active"] and second["active"] and first["cron"] and second["cron"]
            # Network deactivation clears every site's event.
            php("""
require_once ABSPATH . 'wp-admin/includes/plugin.php';
deactivate_plugins( 'consent-service/consent-service.php', false, true );
""")
            left = php("""
$n = 0;
foreach ( get_sites( array( 'fields' => 'ids' ) ) as $id ) {
	switch_to_blog( $id );
	$n += (int) (bool) wp_next_scheduled( 'consent_service_fetch_seals' );
	restore_current_blog();
}
echo $n;
""")
            assert left == "0"
        finally:
            h.mysql(f"DROP DATABASE IF EXISTS `{db}`")
