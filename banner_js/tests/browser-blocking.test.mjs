// Prior blocking, Consent Mode v2, GPC, embeds and the public API in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServerAndBrowser } from './helpers/suite.mjs';
import { newContext, sleep } from './helpers/browser.mjs';
import { clickAction, bannerVisible, until, consentCookie, trackerRequests } from './helpers/actions.mjs';

let srv, browser;
withServerAndBrowser((s, b) => {
  srv = s;
  browser = b;
});

const insertAll = (page) =>
  page.evaluate(() => {
    insertViaCreateElement();
    insertViaAppend();
    insertViaInnerHTML();
    insertViaFragment();
    insertPixel();
  });
const eventsFor = (page) => [...srv.state.events.values()].map((r) => r.event);

test('no tracker request or execution before consent; everything loads after "Accept all"', async () => {
  const { context, requests } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('site'));
  await until(() => bannerVisible(page), 5000, 'banner');
  await insertAll(page); // createElement+insertBefore, setAttribute+appendChild, innerHTML (img+iframe), createContextualFragment, new Image()
  await sleep(400);
  assert.deepEqual(trackerRequests(requests), [], 'no request to any tracker host before consent');
  const pre = await page.evaluate(() => ({ ran: window.__trackers, inline: window.__inlineAnalytics, cookie: document.cookie, ls: Object.keys(localStorage) }));
  assert.equal(pre.ran, undefined, 'no tracker script ran');
  assert.equal(pre.inline, undefined, 'inline data-category script did not run');
  assert.equal(pre.cookie, '', 'no cookie before a choice');
  assert.deepEqual(pre.ls, [], 'no storage before a choice');
  // The innerHTML iframe became a placeholder.
  assert.equal(await page.locator('[data-consent-placeholder]').count(), 1);

  await clickAction(page, 'accept_all');
  await until(() => page.evaluate(() => (window.__trackers || []).length >= 5), 5000, 'trackers to run');
  await sleep(300);
  const urls = trackerRequests(requests).map((r) => r.url);
  for (const u of [
    'https://www.googletagmanager.com/gtag/js?id=G-TEST',
    'https://connect.facebook.net/en_US/fbevents.js',
    'https://www.googletagmanager.com/gtm.js?id=GTM-TEST',
    'https://connect.facebook.net/signals/config/123',
    'https://www.google-analytics.com/analytics.js',
    'https://www.facebook.com/tr?id=1&ev=Inner',
    'https://www.youtube.com/embed/inner',
  ])
    assert.ok(urls.includes(u), `${u} loaded after consent`);
  assert.ok(!urls.includes('https://www.facebook.com/tr?id=1&ev=Img'), 'a detached pixel fired before consent is dropped, not replayed');
  assert.equal(await page.evaluate(() => window.__inlineAnalytics), 1, 'inline script ran exactly once');
  assert.equal(await page.locator('[data-consent-placeholder]').count(), 0);
  await context.close();
});

test('"Reject all": nothing loads, and trackers inserted afterwards stay blocked', async () => {
  const { context, requests } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('site'));
  await until(() => bannerVisible(page));
  await clickAction(page, 'reject_all');
  await insertAll(page);
  await sleep(500);
  assert.deepEqual(trackerRequests(requests), []);
  assert.equal(await page.evaluate(() => window.__trackers), undefined);
  const ev = (await until(() => eventsFor(page).find((e) => e.action === 'reject_all')));
  assert.deepEqual(ev.choices, { necessary: true, preferences: false, analytics: false, marketing: false });
  // Reload: refusal remembered, no banner, still nothing.
  await page.reload();
  await sleep(400);
  assert.equal(await bannerVisible(page), false, 'refusal is not re-asked');
  assert.deepEqual(trackerRequests(requests), []);
  await context.close();
});

test('withdrawal: Consent Mode update to denied, cookies erased, new insertions blocked', async () => {
  const { context, requests } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('site'));
  await until(() => bannerVisible(page));
  await clickAction(page, 'accept_all');
  await until(() => page.evaluate(() => (window.__trackers || []).length >= 2));
  await page.evaluate(() => {
    document.cookie = '_ga=GA1.1.1.1; Path=/';
    document.cookie = '_ga_TEST=GS1.1; Path=/';
    document.cookie = 'unrelated=1; Path=/';
  });
  // Withdraw in two clicks: reopen button, then "Reject all" in the preference centre.
  await clickAction(page, 'reopen');
  await clickAction(page, 'reject_all', '.foot');
  const ev = await until(() => eventsFor(page).find((e) => e.action === 'withdraw'), 5000, 'withdraw event');
  assert.deepEqual(ev.choices, { necessary: true, preferences: false, analytics: false, marketing: false });
  const dl = await page.evaluate(() => dataLayer.filter((a) => a[0] === 'consent').map((a) => [a[1], a[2]]));
  const last = dl[dl.length - 1];
  assert.equal(last[0], 'update');
  assert.equal(last[1].analytics_storage, 'denied');
  assert.equal(last[1].ad_storage, 'denied');
  const cookies = await page.evaluate(() => document.cookie);
  assert.ok(!/_ga=/.test(cookies) && !/_ga_TEST=/.test(cookies), `analytics cookies erased: ${cookies}`);
  assert.ok(/unrelated=1/.test(cookies));
  const n = trackerRequests(requests).length;
  await insertAll(page);
  await sleep(500);
  assert.equal(trackerRequests(requests).length, n, 'no new tracker request after withdrawal');
  assert.equal(await page.evaluate(() => window.consentService.acceptedCategory('analytics')), false);
  await context.close();
});

test('Consent Mode v2: default (all denied) first, before any Google tag; update after choice and on reload', async () => {
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('site'));
  await until(() => bannerVisible(page));
  const first = await page.evaluate(() => Array.from(dataLayer[0]));
  assert.deepEqual(first, [
    'consent',
    'default',
    { ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', analytics_storage: 'denied', functionality_storage: 'denied', personalization_storage: 'denied', security_storage: 'granted', wait_for_update: 500 },
  ]);
  await clickAction(page, 'settings');
  await page.evaluate(() => {
    const r = document.getElementById('consent-service-root').shadowRoot;
    r.querySelector('input[data-category="analytics"]').click();
  });
  await clickAction(page, 'save');
  await until(() => page.evaluate(() => (window.__trackers || []).length >= 1));
  const st = await page.evaluate(() => ({ dl: dataLayer.map((a) => Array.from(a)), tr: window.__trackers }));
  const consentCalls = st.dl.filter((a) => a[0] === 'consent');
  assert.equal(consentCalls[0][1], 'default');
  assert.equal(consentCalls[1][1], 'update');
  assert.equal(consentCalls[1][2].analytics_storage, 'granted');
  assert.equal(consentCalls[1][2].ad_storage, 'denied');
  // What the Google tag saw when it ran: default first, then the update.
  const gtagSaw = JSON.parse(st.tr.find((t) => t.src.includes('gtag/js')).dataLayer);
  assert.deepEqual(gtagSaw[0].slice(0, 2), ['consent', 'default']);
  assert.ok(gtagSaw.findIndex((a) => a[1] === 'update') > 0, 'update already queued when gtag.js ran');
  // Reload with stored consent: default then update immediately, before the page's own gtag calls.
  await page.reload();
  await until(() => page.evaluate(() => (window.__trackers || []).length >= 1));
  const dl2 = await page.evaluate(() => dataLayer.map((a) => Array.from(a)));
  assert.deepEqual(dl2[0].slice(0, 2), ['consent', 'default']);
  assert.deepEqual(dl2[1].slice(0, 2), ['consent', 'update']);
  assert.equal(dl2[1][2].analytics_storage, 'granted');
  assert.equal(dl2[2][0], 'js');
  await context.close();
});

test('Global Privacy Control: marketing denied, notice shown, "Accept all" spares marketing, gpc recorded', async () => {
  const { context, requests } = await newContext(browser);
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
  const page = await context.newPage();
  await page.goto(srv.url('site', { lang: 'en' }));
  await until(() => bannerVisible(page));
  const note = await page.evaluate(() => document.getElementById('consent-service-root').shadowRoot.querySelector('.banner .note')?.textContent);
  assert.match(note, /Global Privacy Control/);
  await clickAction(page, 'accept_all');
  const ev = await until(() => eventsFor(page).find((e) => e.gpc === true));
  assert.equal(ev.action, 'accept_all');
  assert.deepEqual(ev.choices, { necessary: true, preferences: true, analytics: true, marketing: false });
  await until(() => page.evaluate(() => (window.__trackers || []).length >= 1));
  await sleep(300);
  const hosts = trackerRequests(requests).map((r) => r.host);
  assert.ok(hosts.includes('www.googletagmanager.com'));
  assert.ok(!hosts.includes('connect.facebook.net'), 'no marketing tracker under GPC');
  const upd = await page.evaluate(() => dataLayer.filter((a) => a[1] === 'update').map((a) => a[2]).pop());
  assert.equal(upd.ad_storage, 'denied');
  assert.equal(upd.analytics_storage, 'granted');
  assert.equal((await consentCookie(context)).data.g, 1);
  await context.close();
});

test('static tracker tags without data-category do not execute before consent (see README: preload scanner)', async () => {
  const { context, requests } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('static'));
  await until(() => bannerVisible(page));
  await sleep(300);
  assert.equal(await page.evaluate(() => window.__trackers), undefined, 'blocked before they ran');
  const blocked = await page.evaluate(() => Array.from(document.querySelectorAll('script[data-cs-blocked]')).map((s) => s.type));
  assert.deepEqual(blocked, ['text/plain', 'text/plain']);
  const img = await page.evaluate(() => document.querySelector('img').getAttribute('src'));
  assert.equal(img, null, 'pixel src parked');
  // Chromium's preload scanner may already have fetched static <script src>/<img src> before any
  // script could run; we only record it here. Markup with type="text/plain" avoids it.
  const preloaded = trackerRequests(requests).map((r) => r.url);
  await clickAction(page, 'accept_all');
  await until(() => page.evaluate(() => (window.__trackers || []).length === 2));
  test.diagnostic?.(`preload-scanner requests before consent: ${preloaded.length}`);
  await context.close();
});

test('iframes of YouTube/Vimeo become accessible placeholders until consent or "load"', async () => {
  const { context, requests } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('embed', { lang: 'en' }));
  await until(() => bannerVisible(page));
  const ph = page.locator('[data-consent-placeholder]');
  assert.equal(await ph.count(), 2);
  assert.equal(await page.locator('iframe#local').count(), 1, 'own iframe untouched');
  assert.ok(!requests.some((r) => r.host === 'player.vimeo.com'), 'data-src iframe makes no request');
  const region = page.locator('[data-consent-placeholder]', { hasText: /This content is from YouTube/ });
  assert.equal(await region.count(), 1);
  assert.equal(await page.getByRole('region').count(), 0, 'placeholders are no landmarks (axe landmark-unique)');
  assert.equal(await region.getByText('Showing the content is your consent to YouTube.').count(), 1);
  const box = await ph.first().boundingBox();
  assert.equal(Math.round(box.width), 560);
  assert.equal(Math.round(box.height), 315);
  // "Load this content" on the YouTube one loads only that embed and records that consent.
  await region.getByRole('button', { name: 'Load this content' }).click();
  await until(() => page.evaluate(() => document.querySelector('iframe#yt')?.getAttribute('src')));
  await sleep(300);
  assert.equal(await ph.count(), 1, 'the Vimeo placeholder stays');
  assert.ok(!requests.some((r) => r.host === 'player.vimeo.com'));
  const ev = await until(() => srv.state.posts.find((p) => p.event.page_url.endsWith('/page/embed')), 5000, 'embed event');
  assert.equal(ev.event.action, 'embed');
  assert.equal(ev.event.service, 'youtube');
  assert.equal(ev.event.choices.marketing, false, 'the category stays off');
  assert.equal(await page.evaluate(() => window.consentService.acceptedCategory('marketing')), false);
  // "Always allow" on the Vimeo one is the category choice.
  await page.locator('[data-consent-placeholder]').getByRole('button', { name: 'Always allow: Marketing' }).dispatchEvent('click'); // under the banner
  const all = await until(() => srv.state.posts.find((p) => p.event.action === 'custom' && p.event.page_url.endsWith('/page/embed')), 5000, 'category event');
  assert.equal(all.event.choices.marketing, true);
  assert.equal(all.event.choices.analytics, false);
  await until(() => requests.some((r) => r.host === 'player.vimeo.com'), 5000, 'vimeo after consent');
  assert.equal(await ph.count(), 0);
  await context.close();
});

test('public API: getConsent, acceptedCategory, on() and window event, receipt in the cookie', async () => {
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('plain'));
  await until(() => bannerVisible(page));
  assert.equal(await page.evaluate(() => window.consentService.getConsent()), null);
  await page.evaluate(() => {
    window.__seen = [];
    window.consentService.on('consent:changed', (d) => __seen.push(['api', d.action]));
    addEventListener('consent:changed', (e) => __seen.push(['event', e.detail.action, e.detail.choices.analytics]));
  });
  await page.evaluate(() => window.consentService.open());
  await page.evaluate(() => document.getElementById('consent-service-root').shadowRoot.querySelector('input[data-category="analytics"]').click());
  await clickAction(page, 'save');
  assert.deepEqual(await page.evaluate(() => __seen), [['api', 'custom'], ['event', 'custom', true]]);
  const c = await page.evaluate(() => window.consentService.getConsent());
  assert.deepEqual(c.choices, { necessary: true, preferences: false, analytics: true, marketing: false });
  assert.equal(c.policy_version, 1);
  assert.match(c.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(await page.evaluate(() => window.consentService.acceptedCategory('analytics')), true);
  assert.equal(await page.evaluate(() => window.consentService.acceptedCategory('marketing')), false);
  const rec = await until(() => srv.state.events.get(c.event_id));
  assert.equal(rec.event.banner_hash, '1'.repeat(64));
  assert.equal(rec.event.language, 'fi');
  assert.equal(rec.event.page_url, srv.base + '/page/plain');
  assert.equal(rec.event.gpc, false);
  const cookie = await until(async () => { const k = await consentCookie(context); return k?.data.r && k; });
  assert.equal(cookie.data.r, rec.receipt_id);
  assert.equal(cookie.sameSite, 'Lax');
  assert.equal(cookie.secure, false, 'not Secure on http');
  assert.ok(cookie.expires * 1000 - Date.now() > 364 * 864e5);
  assert.equal((await page.evaluate(() => window.consentService.getConsent())).receipt_id, rec.receipt_id);
  await context.close();
});
