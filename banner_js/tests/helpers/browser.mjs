// Headless Chromium via playwright-core, with tracker hosts simulated by request routing.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const TRACKER_HOSTS = /(^|\.)(googletagmanager\.com|google-analytics\.com|facebook\.net|facebook\.com|youtube\.com|youtube-nocookie\.com|vimeo\.com|google\.com)$/;

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
// A fake tracker: records that it ran and what dataLayer looked like then.
const TRACKER_JS = `(function(){var s=document.currentScript;(window.__trackers=window.__trackers||[]).push({src:s&&s.src,dataLayer:JSON.stringify((window.dataLayer||[]).map(function(a){return Array.prototype.slice.call(a)}))});})();`;

/**
 * New context whose requests to tracker hosts are recorded and answered
 * locally; any other non-local request is aborted (and recorded).
 * @param {import('playwright-core').Browser} browser
 * @param {object} [opts] context options
 */
export async function newContext(browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
  const requests = [];
  await context.route('**/*', (route) => {
    const req = route.request();
    const u = new URL(req.url());
    if (u.hostname === '127.0.0.1' || u.hostname === 'localhost') return route.continue();
    requests.push({ url: req.url(), host: u.hostname, type: req.resourceType(), at: Date.now() });
    if (!TRACKER_HOSTS.test(u.hostname)) return route.abort();
    if (req.resourceType() === 'image' || u.pathname === '/tr') return route.fulfill({ status: 200, contentType: 'image/gif', body: GIF });
    if (req.resourceType() === 'document') return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>embed</title><p>embed</p>' });
    return route.fulfill({ status: 200, contentType: 'application/javascript', body: TRACKER_JS });
  });
  return { context, requests };
}

const require = createRequire(import.meta.url);
export const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Evaluate in the banner's shadow root. */
export const inShadow = (page, fn, arg) =>
  page.evaluate(
    ([src, a]) => {
      const root = document.getElementById('consent-service-root').shadowRoot;
      return new Function('root', 'arg', `return (${src})(root, arg)`)(root, a);
    },
    [fn.toString(), arg]
  );

/** Label (text or aria-label) of the deepest focused element. */
export const focusedLabel = (page) =>
  page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return null;
    return (a.getAttribute('aria-label') || a.getAttribute('aria-labelledby') || a.textContent || a.tagName).trim();
  });

/** Press Tab until the focused element's label is `label` (max n presses). */
export async function tabTo(page, label, n = 40, key = 'Tab') {
  for (let i = 0; i < n; i++) {
    if ((await focusedLabel(page)) === label) return i;
    await page.keyboard.press(key);
  }
  throw new Error(`could not reach "${label}" with ${key}; focused: ${await focusedLabel(page)}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
