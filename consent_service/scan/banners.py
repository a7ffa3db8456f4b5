"""Find a consent banner on a page and answer it ("accept all" / "reject all").

Detection runs in the page: our own banner (``window.consentService`` and its open shadow
root), the known selectors of common CMPs, then any visible button worded like an
accept/reject choice in Finnish, Swedish or English on a page that talks about cookies.
The element to click is tagged with ``data-cs-scan="accept|reject"`` and clicked through
Playwright (whose CSS engine pierces open shadow roots).
"""

from __future__ import annotations

import time

KNOWN_CMPS = {
    # cmp id: (banner marker, accept selector, reject selector)
    "cookiebot": ("#CybotCookiebotDialog",
                  "#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll, "
                  "#CybotCookiebotDialogBodyButtonAccept",
                  "#CybotCookiebotDialogBodyButtonDecline"),
    "cookieyes": (".cky-consent-container", ".cky-btn-accept", ".cky-btn-reject"),
    "complianz": ("#cmplz-cookiebanner-container, .cmplz-cookiebanner", ".cmplz-accept",
                  ".cmplz-deny"),
    "onetrust": ("#onetrust-banner-sdk", "#onetrust-accept-btn-handler",
                 "#onetrust-reject-all-handler"),
    "klaro": (".klaro .cookie-notice, .klaro .cookie-modal", ".cm-btn-success, .cm-btn-accept-all",
              ".cn-decline, .cm-btn-decline"),
    "cookieconsent": ("#cc-main, #cc--main", "[data-role=all]", "[data-role=necessary]"),
}

ACCEPT_WORDS = [
    "accept all", "accept all cookies", "accept", "accept cookies", "allow all",
    "allow all cookies",
    "allow", "allow cookies", "agree", "i agree", "i accept", "ok", "got it",
    "hyväksy kaikki", "hyväksy kaikki evästeet", "hyväksy", "hyväksy evästeet", "hyväksyn",
    "salli kaikki", "salli kaikki evästeet", "salli", "selvä",
    "godkänn alla", "godkänn alla kakor", "godkänn", "acceptera alla", "acceptera",
    "acceptera alla kakor", "tillåt alla", "tillåt alla kakor", "jag godkänner",
]
REJECT_WORDS = [
    "reject all", "reject", "reject all cookies", "decline", "decline all", "deny", "refuse",
    "necessary only", "only necessary", "necessary cookies only", "use necessary cookies only",
    "hylkää kaikki", "hylkää", "hylkää evästeet", "kieltäydy", "vain välttämättömät",
    "salli vain välttämättömät", "vain välttämättömät evästeet", "hyväksy vain välttämättömät",
    "avvisa alla", "avvisa", "neka", "neka alla", "endast nödvändiga", "bara nödvändiga",
    "tillåt endast nödvändiga", "endast nödvändiga kakor",
]
COOKIE_WORDS = ["cookie", "eväste", "kaka", "kakor", "consent", "suostumus", "samtycke"]

_DETECT_JS = r"""
([known, acceptWords, rejectWords, cookieWords]) => {
  const vis = (el) => {
    if (!el || !el.isConnected) return false;
    const s = getComputedStyle(el);
    return el.getClientRects().length > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const tag = (el, what) => { if (el) el.setAttribute('data-cs-scan', what); return !!el; };
  document.querySelectorAll('[data-cs-scan]').forEach((e) => e.removeAttribute('data-cs-scan'));
  const out = {found: false, cmp: null, accept: false, reject: false};
  // 1. our own banner
  const host = document.getElementById('consent-service-root');
  if (window.consentService || host) {
    const root = host && host.shadowRoot;
    const banner = root && root.querySelector('.banner');
    const shown = banner && !banner.hidden && vis(banner);
    if (shown) {
      out.found = true; out.cmp = 'consent-service';
      out.accept = tag(banner.querySelector('[data-action=accept_all]'), 'accept');
      out.reject = tag(banner.querySelector('[data-action=reject_all]'), 'reject');
      return out;
    }
    if (window.consentService) { out.cmp = 'consent-service'; out.loaded = true; }
  }
  // 2. known CMPs
  for (const [cmp, [marker, acc, rej]] of Object.entries(known)) {
    const m = document.querySelector(marker);
    const a = [...document.querySelectorAll(acc)].find(vis);
    if ((m && vis(m)) || a) {
      out.found = true; out.cmp = cmp;
      out.accept = tag(a, 'accept');
      out.reject = tag([...document.querySelectorAll(rej)].find(vis), 'reject');
      return out;
    }
  }
  // 3. any button worded like a choice, on a page that speaks of cookies
  const text = (document.body ? document.body.innerText : '').toLowerCase();
  if (!cookieWords.some((w) => text.includes(w))) return out;
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim().toLowerCase().replace(/[.!]$/, '');
  const all = [];
  const walk = (root) => {
    root.querySelectorAll('button, a, [role=button], input[type=button], input[type=submit]')
      .forEach((e) => all.push(e));
    root.querySelectorAll('*').forEach((e) => { if (e.shadowRoot) walk(e.shadowRoot); });
  };
  walk(document);
  const label = (e) => norm(e.innerText || e.value || e.getAttribute('aria-label'));
  const pick = (words) => {
    for (const w of words) {
      const hit = all.find((e) => vis(e) && label(e) === w);
      if (hit) return hit;
    }
    return null;
  };
  const a = pick(acceptWords), r = pick(rejectWords);
  if (a || r) {
    out.found = true; out.cmp = 'unknown';
    out.accept = tag(a, 'accept'); out.reject = tag(r, 'reject');
  }
  return out;
}
"""


def detect(page) -> dict:
    """``{found, cmp, accept, reject}`` for the page as it is now (any frame errors → none)."""
    try:
        return page.evaluate(_DETECT_JS, [KNOWN_CMPS, ACCEPT_WORDS, REJECT_WORDS, COOKIE_WORDS])
    except Exception:  # noqa: BLE001 - a navigating or crashed page has no banner
        return {"found": False, "cmp": None, "accept": False, "reject": False}


def wait_for_banner(page, timeout: float, want: str | None = None) -> dict:
    """Poll until a banner (with the ``want`` button, when given) shows, or ``timeout`` s."""
    end = time.monotonic() + timeout
    while True:
        found = detect(page)
        if found["found"] and (want is None or found.get(want)):
            return found
        if time.monotonic() >= end:
            return found
        page.wait_for_timeout(200)


def answer(page, choice: str, timeout: float) -> dict | None:
    """Click "accept all" (choice="accept") or "reject all" (choice="reject") on the banner.
    Returns the detection result when clicked, None when no such button was found."""
    found = wait_for_banner(page, timeout, want=choice)
    if not found.get(choice):
        return None
    page.locator(f"[data-cs-scan={choice}]").first.click(timeout=max(1000, timeout * 1000))
    return found
