"""The built banner against the real service: blocking, recording, receipts, outage."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.models import ConsentEvent

pytestmark = pytest.mark.browser

TRACKERS = ("https://www.googletagmanager.com/", "https://connect.facebook.net/",
            "https://www.google-analytics.com/")


def page_html(service: str, site_key: str, lang: str = "fi") -> str:
    return f"""<!doctype html><html lang="{lang}"><head>
<script src="{service}/loader/{site_key}.js"></script>
<script type="text/plain" data-category="analytics" async
        src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
<script>
!function(f,b,e,v,n,t,s){{if(f.fbq)return;n=f.fbq=function(){{n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)}};if(!f._fbq)f._fbq=n;
n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}}(window,
document,'script','https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '000'); fbq('track', 'PageView');
</script>
</head><body><h1>Kauppa</h1><a href="#" data-consent-open>Evästeasetukset</a></body></html>"""


@pytest.fixture
def setup(app, live_service, site_page, published_site):
    published_site.allowed_origins = [*published_site.allowed_origins, site_page["origin"]]
    db.session.commit()
    from consent_service.services.siteconfig import invalidate

    invalidate()
    site_page["html"] = page_html(live_service, published_site.site_key)
    return published_site


def open_page(browser, site_page, seen: list[str]):
    context = browser.new_context()

    def track(route):
        seen.append(route.request.url)
        route.fulfill(status=200, content_type="application/javascript", body="/*stub*/")

    for host in TRACKERS:
        context.route(host + "**", track)
    page = context.new_page()
    page.goto(site_page["origin"] + "/")
    page.wait_for_selector("#consent-service-root", state="attached", timeout=10000)
    return context, page


def click(page, action: str) -> None:
    page.locator(f"#consent-service-root [data-action='{action}']").first.click()


def wait_for_events(site_id: int, n: int, timeout: float = 10.0) -> list[ConsentEvent]:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        rows = db.session.scalars(select(ConsentEvent).where(ConsentEvent.site_id == site_id)
                                  .order_by(ConsentEvent.seq)).all()
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_accept_records_event_and_releases_trackers(setup, browser, site_page):
    seen: list[str] = []
    context, page = open_page(browser, site_page, seen)
    page.wait_for_timeout(800)
    assert seen == [], f"trackers contacted before consent: {seen}"
    click(page, "accept_all")
    events = wait_for_events(setup.id, 1)
    assert len(events) == 1
    event = events[0]
    assert event.action == "accept_all" and event.policy_version == 1
    assert event.choices == {"necessary": True, "analytics": True, "marketing": True}
    assert event.language == "fi" and event.page_url == site_page["origin"] + "/"
    page.wait_for_timeout(800)
    assert any("googletagmanager.com/gtag/js" in u for u in seen)
    assert any("connect.facebook.net" in u for u in seen)
    stored = page.evaluate("window.consentService.getConsent()")
    assert stored["receipt_id"] == event.receipt_id or stored.get("receiptId") == event.receipt_id
    context.close()


def test_reject_records_refusal_and_loads_nothing(setup, browser, site_page):
    seen: list[str] = []
    context, page = open_page(browser, site_page, seen)
    click(page, "reject_all")
    events = wait_for_events(setup.id, 1)
    assert [e.action for e in events] == ["reject_all"]
    assert events[0].choices == {"necessary": True, "analytics": False, "marketing": False}
    page.reload()
    page.wait_for_timeout(1000)
    assert seen == [], f"trackers after reject: {seen}"
    context.close()


def test_event_reaches_service_after_outage(setup, browser, site_page):
    seen: list[str] = []
    context, page = open_page(browser, site_page, seen)
    # The consent API is unreachable while the visitor chooses.
    context.route("**/api/v1/sites/*/consents", lambda route: route.abort("connectionrefused"))
    click(page, "accept_all")
    page.wait_for_timeout(500)
    assert wait_for_events(setup.id, 1, timeout=1) == []
    context.unroute("**/api/v1/sites/*/consents")
    page.reload()
    events = wait_for_events(setup.id, 1)
    assert len(events) == 1 and events[0].action == "accept_all"
    page.reload()
    page.wait_for_timeout(1000)
    assert len(wait_for_events(setup.id, 2, timeout=1)) == 1, "the queued event was sent twice"
    context.close()


NETWORK_CALLS = """async () => {
  const out = {}, hit = 'https://www.google-analytics.com/g/collect?v=2&en=';
  await fetch(hit + 'page_view', {method: 'POST', mode: 'no-cors'})
    .then(() => (out.fetch = 'ok'), (e) => (out.fetch = e.name));
  out.beacon = navigator.sendBeacon(hit + 'beacon', 'x');
  return out;
}"""


def test_page_network_calls_blocked_until_accept_and_no_ui_on_return(setup, browser, site_page):
    """The served core and UI (not the test server's): page code's fetch and sendBeacon to a
    tracker fail like network errors before a choice and after reject + reload, a returning
    visitor downloads no UI script, and after accept the same calls go out."""
    seen: list[str] = []
    context, page = open_page(browser, site_page, seen)
    ui_loads: list[str] = []
    context.on("request", lambda r: "/ui-" in r.url and ui_loads.append(r.url))
    assert page.evaluate(NETWORK_CALLS) == {"fetch": "TypeError", "beacon": False}
    click(page, "reject_all")
    wait_for_events(setup.id, 1)
    page.wait_for_function("!localStorage.getItem('cs_consent_queue')")
    ui_loads.clear()
    page.reload()
    page.wait_for_function("window.consentService && window.consentService.getConsent()")
    assert page.evaluate(NETWORK_CALLS) == {"fetch": "TypeError", "beacon": False}
    page.wait_for_timeout(500)
    assert seen == [], f"tracker calls before consent: {seen}"
    assert ui_loads == [], "a returning visitor with valid consent downloaded the UI"
    page.evaluate("window.consentService.open()")
    page.locator("#consent-service-root .foot [data-action='accept_all']").click()
    assert len(ui_loads) == 1 and "/loader/" in ui_loads[0]
    assert page.evaluate(NETWORK_CALLS) == {"fetch": "ok", "beacon": True}
    page.wait_for_timeout(500)
    assert any("en=page_view" in u for u in seen) and any("en=beacon" in u for u in seen)
    context.close()


def test_placeholder_click_is_recorded_with_its_service(setup, browser, site_page):
    """'Show content' on a placeholder loads that embed and the service stores an embed
    event naming the service; the category stays off."""
    site_page["html"] = site_page["html"].replace(
        "<h1>Kauppa</h1>", '<h1>Kauppa</h1><iframe title="Video" width="560" height="315" '
        'data-category="marketing" data-src="https://www.youtube-nocookie.com/embed/x"></iframe>')
    seen: list[str] = []
    context, page = open_page(browser, site_page, seen)
    context.route("https://www.youtube-nocookie.com/**",
                  lambda route: (seen.append(route.request.url),
                                 route.fulfill(status=200, body="<p>video</p>",
                                               content_type="text/html")))
    holder = page.locator("[data-consent-placeholder]")
    holder.get_by_text("annat suostumuksen palvelulle").wait_for()
    assert seen == []
    holder.get_by_role("button", name="Näytä sisältö").dispatch_event("click")
    events = wait_for_events(setup.id, 1)
    assert [(e.action, e.service) for e in events] == [("embed", "youtube")]
    assert events[0].choices["marketing"] is False
    page.wait_for_timeout(500)
    assert any("youtube-nocookie.com/embed/x" in u for u in seen)
    assert page.evaluate("window.consentService.acceptedCategory('marketing')") is False
    context.close()
