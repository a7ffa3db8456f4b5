// Shared page actions for the browser tests.
import { sleep } from './browser.mjs';

/** Click a banner/preference-centre button by its data-action. */
export const clickAction = (page, action, where = '') =>
  page.evaluate(
    ([a, w]) => document.getElementById(a == 'reopen' ? 'consent-service-reopen' : 'consent-service-root').shadowRoot.querySelector(`${w} [data-action="${a}"]`).click(),
    [action, where]
  );

export const bannerVisible = (page) =>
  page.evaluate(() => {
    const host = document.getElementById('consent-service-root');
    const b = host && host.shadowRoot.querySelector('.banner');
    return !!b && !b.hidden && b.getClientRects().length > 0;
  });

export const prefsVisible = (page) =>
  page.evaluate(() => {
    const o = document.getElementById('consent-service-root').shadowRoot.querySelector('.overlay');
    return !o.hidden;
  });

export const queueItems = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('cs_consent_queue') || '[]'));

export const consentCookie = async (context) => {
  const c = (await context.cookies()).find((x) => x.name === 'cs_consent');
  return c ? { ...c, data: JSON.parse(decodeURIComponent(c.value)) } : null;
};

/** Wait until fn() is truthy (polling), or throw after ms. */
export async function until(fn, ms = 5000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const trackerRequests = (requests) => requests.filter((r) => r.host !== '127.0.0.1');
