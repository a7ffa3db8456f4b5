"""End to end in headless Chromium: log in, create a site, analyse a notice, review, publish,
see the banner preview, search the log, view the chart. Screenshots go to artifacts/admin/."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from .conftest import FI_NOTICE, PASSWORD, add_events

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "admin"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs /usr/bin/chromium (required when CI is set)"),
]


@pytest.fixture
def live_server(app, people):
    app.config["RATELIMIT_LOGIN"] = "100/minute"
    bundle = Path(app.config["LOADER_BUNDLE"])
    if not bundle.exists():
        pytest.skip("banner bundle not built") if not os.environ.get("CI") else None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_admin_end_to_end(live_server, page, app):
    from playwright.sync_api import expect

    from consent_service.services.sites import get_site

    # the admin's CSP (no inline code but the preview's nonce'd tags) blocks nothing we use
    blocked = []
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server}/admin/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    shot(page, "01-login")
    page.get_by_label("Email").fill("super@example.fi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sites")).to_be_visible()

    # create a site
    page.get_by_role("link", name="New site").click()
    page.get_by_label("Name").fill("Koekauppa")
    page.get_by_label("Domains (one per line)").fill("koekauppa.example.fi")
    page.get_by_label("Privacy notice URL").fill("https://koekauppa.example.fi/tietosuoja")
    shot(page, "02-site-new")
    page.get_by_role("button", name="Create site").click()
    expect(page.get_by_role("heading", name="Koekauppa")).to_be_visible()
    site_key = page.locator("dd code").first.inner_text()
    shot(page, "03-site")

    # embed code with copy button
    page.get_by_role("link", name="Embed code", exact=True).click()
    expect(page.locator("#embed-tag")).to_contain_text(f"/loader/{site_key}.js")
    shot(page, "04-embed")

    # paste a notice and review the analysis
    page.get_by_role("link", name="Notices", exact=True).click()
    page.get_by_role("link", name="Analyse a notice").click()
    page.get_by_label("Paste the notice text").fill(FI_NOTICE)
    page.get_by_role("button", name="Analyse").click()
    expect(page.get_by_role("heading", name="Koekauppa: notice analysis")).to_be_visible()
    expect(page.locator(".notice-text mark").first).to_be_visible()
    assert "Google Analytics" in page.locator(".notice-text mark").all_inner_texts().__str__()
    shot(page, "05-notice-analysis")

    # the draft editor with the live preview of the real banner
    page.get_by_role("link", name="Review draft version 1").click()
    frame = page.frame_locator("#preview-frame")
    expect(frame.locator("#consent-service-root")).to_be_attached()
    page.locator("details[lang=en] summary").click()
    page.locator("#b-fi-title").fill("Evästeet Koekaupassa")
    page.wait_for_timeout(1500)                  # the debounced live preview re-renders
    expect(frame.locator("#consent-service-root")).to_be_attached()
    shot(page, "06-policy-editor-preview")

    # publish: the diff first
    page.get_by_role("button", name="Save and review publish…").click()
    expect(page.get_by_text("Material change", exact=False).first).to_be_visible()
    shot(page, "07-publish-diff")
    page.get_by_label("I have reviewed the changes").check()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Version 1 published")).to_be_visible()
    expect(page.get_by_text("Evästeet Koekaupassa").first).to_be_attached()
    shot(page, "08-policy-history")

    # some consent events, then the log search
    site = get_site(site_key)
    add_events(site, [("accept_all", {"analytics": True, "marketing": True}),
                      ("reject_all", {"analytics": False, "marketing": False})] * 3, app)
    page.get_by_role("link", name="Log", exact=True).click()
    page.get_by_label("Action").select_option("reject_all")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.log tbody tr")).to_have_count(3)
    shot(page, "09-log-search")
    page.locator("table.log tbody a").first.click()
    expect(page.get_by_text("The stored hash matches")).to_be_visible()
    shot(page, "10-log-event")

    # statistics chart
    page.get_by_role("link", name="Stats", exact=True).click()
    expect(page.locator("#stats-chart rect")).to_have_count(2)
    shot(page, "11-stats")
    page.get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_text("policy.publish")).to_be_visible()
    shot(page, "12-audit")
    assert blocked == []
