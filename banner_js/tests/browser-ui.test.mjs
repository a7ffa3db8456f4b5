// Banner and preference centre: keyboard-only use, focus, equal prominence,
// axe-core in fi/sv/en, re-prompt rules, strict CSP, screenshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withServerAndBrowser } from './helpers/suite.mjs';
import { newContext, sleep, tabTo, focusedLabel } from './helpers/browser.mjs';
import { clickAction, bannerVisible, prefsVisible, until, consentCookie } from './helpers/actions.mjs';
import { texts } from './fixtures/config.js';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
let srv, browser;
withServerAndBrowser((s, b) => {
  srv = s;
  browser = b;
  mkdirSync(ARTIFACTS, { recursive: true });
});

const fi = texts.fi;
const lastEvent = () => [...srv.state.events.values()].pop()?.event;

async function freshPage(q = {}, ctxOpts = {}) {
  const { context, requests } = await newContext(browser, ctxOpts);
  const page = await context.newPage();
  await page.goto(srv.url(q.page || 'site', q));
  await until(() => bannerVisible(page), 5000, 'banner');
  return { context, page, requests };
}

test('keyboard only: focus starts on the banner; Tab + Enter on "Accept all"', async () => {
  const { context, page } = await freshPage();
  assert.equal(await focusedLabel(page), 'cs-title', 'focus moved to the banner dialog');
  await tabTo(page, fi.accept_all);
  await page.keyboard.press('Enter');
  const ev = await until(() => lastEvent()?.action === 'accept_all' && lastEvent());
  assert.equal(ev.choices.marketing, true);
  assert.equal(await bannerVisible(page), false);
  assert.equal(await focusedLabel(page), fi.reopen_label, 'focus lands on the reopen button');
  await context.close();
});

test('keyboard only: "Reject all" takes as many key presses as "Accept all"', async () => {
  const { context, page } = await freshPage();
  const toAccept = await tabTo(page, fi.accept_all);
  const toReject = await tabTo(page, fi.reject_all);
  assert.equal(toReject, 1, 'reject is the very next stop after accept');
  assert.ok(toAccept <= 3);
  await page.keyboard.press('Enter');
  const ev = await until(() => lastEvent()?.action === 'reject_all' && lastEvent());
  assert.deepEqual(ev.choices, { necessary: true, preferences: false, analytics: false, marketing: false });
  await context.close();
});

test('keyboard only: custom choice in the preference centre; optional boxes start unchecked', async () => {
  const { context, page } = await freshPage();
  await tabTo(page, fi.settings);
  await page.keyboard.press('Enter');
  assert.equal(await prefsVisible(page), true);
  assert.equal(await focusedLabel(page), 'cs-ptitle', 'focus moved to the dialog');
  const states = await page.evaluate(() =>
    Array.from(document.getElementById('consent-service-root').shadowRoot.querySelectorAll('input[type=checkbox]')).map((i) => [i.dataset.category, i.checked])
  );
  assert.deepEqual(states, [['preferences', false], ['analytics', false], ['marketing', false]], 'no pre-ticked boxes');
  await tabTo(page, fi.categories.analytics.title);
  await page.keyboard.press('Space');
  await tabTo(page, fi.save);
  await page.keyboard.press('Enter');
  const ev = await until(() => lastEvent()?.action === 'custom' && lastEvent());
  assert.deepEqual(ev.choices, { necessary: true, preferences: false, analytics: true, marketing: false });
  await context.close();
});

test('preference centre: role=dialog, aria-modal, focus trapped, Escape closes and restores focus', async () => {
  const { context, page } = await freshPage();
  const postsBefore = srv.state.posts.length;
  await page.focus('#page-settings');
  await page.keyboard.press('Enter');
  assert.equal(await prefsVisible(page), true);
  const attrs = await page.evaluate(() => {
    const m = document.getElementById('consent-service-root').shadowRoot.querySelector('.modal');
    return [m.getAttribute('role'), m.getAttribute('aria-modal'), m.getAttribute('aria-labelledby')];
  });
  assert.deepEqual(attrs, ['dialog', 'true', 'cs-ptitle']);
  const inModal = () =>
    page.evaluate(() => {
      const root = document.getElementById('consent-service-root').shadowRoot;
      return document.activeElement?.id === 'consent-service-root' && !!root.activeElement && root.querySelector('.modal').contains(root.activeElement);
    });
  const seen = new Set();
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    assert.ok(await inModal(), `focus stayed in the dialog after ${i + 1} Tab presses`);
    seen.add(await focusedLabel(page));
  }
  assert.ok(seen.has(fi.close) && seen.has(fi.save), 'Tab cycles through the whole dialog');
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Shift+Tab');
    assert.ok(await inModal(), 'Shift+Tab stays too');
  }
  await page.keyboard.press('Escape');
  assert.equal(await prefsVisible(page), false);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'page-settings', 'focus returned to the opener');
  assert.equal(await bannerVisible(page), true, 'closing is not a choice: the banner stays');
  await sleep(200);
  assert.equal(srv.state.posts.length, postsBefore, 'nothing recorded');
  assert.equal(await consentCookie(context), null, 'nothing stored');
  // Visible focus outline on the banner buttons.
  await tabTo(page, fi.reject_all);
  const outline = await page.evaluate(() => {
    const b = document.getElementById('consent-service-root').shadowRoot.activeElement;
    const s = getComputedStyle(b);
    return [s.outlineStyle, parseFloat(s.outlineWidth)];
  });
  assert.equal(outline[0], 'solid');
  assert.ok(outline[1] >= 2);
  await context.close();
});

const buttonStyles = (page, sel) =>
  page.evaluate((sel) => {
    const root = document.getElementById('consent-service-root').shadowRoot;
    return Array.from(root.querySelectorAll(sel)).map((b) => {
      const r = b.getBoundingClientRect();
      const s = getComputedStyle(b);
      return { text: b.textContent, x: r.x, y: r.y, w: r.width, h: r.height, bg: s.backgroundColor, color: s.color, size: s.fontSize, weight: s.fontWeight, border: s.borderTopColor + ' ' + s.borderTopWidth };
    });
  }, sel);

function assertEqualProminence(btns, label) {
  assert.equal(btns.length, 3, label);
  const [a, ...rest] = btns;
  for (const b of rest) {
    assert.ok(Math.abs(a.w - b.w) < 1 && Math.abs(a.h - b.h) < 1, `${label}: same size (${a.text} ${a.w}x${a.h} vs ${b.text} ${b.w}x${b.h})`);
    assert.ok(Math.abs(a.y - b.y) < 1, `${label}: same row`);
    for (const k of ['bg', 'color', 'size', 'weight', 'border']) assert.equal(b[k], a[k], `${label}: same ${k}`);
  }
}

/** WCAG relative luminance contrast. */
function contrast(c1, c2) {
  const lum = (c) => {
    const [r, g, b] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [l1, l2] = [lum(c1), lum(c2)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

for (const [w, h] of [[1280, 800], [375, 740]]) {
  test(`equal prominence of Accept / Reject / Settings at ${w}px (size, row, colours), contrast >= 4.5`, async () => {
    const { context, page } = await freshPage({}, { viewport: { width: w, height: h } });
    const b = await buttonStyles(page, '.banner .btn');
    assert.deepEqual(b.map((x) => x.text), [fi.accept_all, fi.reject_all, fi.settings]);
    assertEqualProminence(b, 'first layer');
    assert.ok(contrast(b[0].color, b[0].bg) >= 4.5, `button contrast ${contrast(b[0].color, b[0].bg)}`);
    await clickAction(page, 'settings');
    assertEqualProminence(await buttonStyles(page, '.foot .btn'), 'preference centre');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > innerWidth);
    assert.equal(overflow, false, 'no horizontal overflow');
    await context.close();
  });
}

// axe-core and the language of every text: tests/browser-a11y.test.mjs.

test('screenshots: banner and preference centre at 1280x800 and 375px (artifacts/)', async () => {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['mobile', { width: 375, height: 740 }]]) {
    const { context, page } = await freshPage({}, { viewport, deviceScaleFactor: 1 });
    await page.evaluate(() => document.activeElement.blur());
    await page.screenshot({ path: path.join(ARTIFACTS, `banner-${name}.png`) });
    await clickAction(page, 'settings');
    await page.evaluate(() => {
      const r = document.getElementById('consent-service-root').shadowRoot;
      r.querySelectorAll('details')[1].open = true;
    });
    await page.screenshot({ path: path.join(ARTIFACTS, `preferences-${name}.png`) });
    await context.close();
  }
  const { context, page } = await freshPage({ page: 'embed', lang: 'en' });
  await clickAction(page, 'reject_all');
  await page.screenshot({ path: path.join(ARTIFACTS, 'embed-placeholder-reopen.png') });
  await context.close();
});

test('re-prompt: not for a non-material version, yes after a material change or after reprompt_days', async () => {
  const { context, page } = await freshPage({ o: { policy_version: 1, material_version: 1 } });
  await clickAction(page, 'accept_all');
  await until(() => consentCookie(context));
  await page.goto(srv.url('site', { o: { policy_version: 2, material_version: 1 } }));
  await sleep(300);
  assert.equal(await bannerVisible(page), false, 'non-material change: no banner');
  assert.equal(await page.evaluate(() => window.consentService.acceptedCategory('analytics')), true);
  await page.goto(srv.url('site', { o: { policy_version: 3, material_version: 3 } }));
  await until(() => bannerVisible(page), 3000, 'banner after material change');
  assert.equal(await page.evaluate(() => window.consentService.acceptedCategory('analytics')), false, 'old consent no longer counts');
  assert.equal(await page.evaluate(() => window.__trackers), undefined);
  await clickAction(page, 'reject_all');
  // Consent older than reprompt_days (set the stored timestamp 400 days back),
  // after the receipt has been written into the cookie.
  const c = await until(async () => { const k = await consentCookie(context); return k.data.r && k.data.c.length === 0 && k; });
  c.data.t -= 400 * 864e5;
  await context.addCookies([{ name: 'cs_consent', value: encodeURIComponent(JSON.stringify(c.data)), url: srv.base }]);
  await page.goto(srv.url('site', { o: { policy_version: 3, material_version: 3 } }));
  await until(() => bannerVisible(page), 3000, 'banner after reprompt_days');
  await context.close();
});

test('strict CSP (no unsafe-inline styles): styled banner, no CSP violations', async () => {
  const { context, page } = await newContext(browser).then(async (x) => ({ ...x, page: await x.context.newPage() }));
  const violations = [];
  await page.exposeFunction('__cspViolation', (v) => violations.push(v));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI)));
  await page.goto(srv.url('plain', { csp: true }));
  await until(() => bannerVisible(page));
  const bg = await page.evaluate(() => getComputedStyle(document.getElementById('consent-service-root').shadowRoot.querySelector('.btn')).backgroundColor);
  assert.equal(bg, 'rgb(29, 79, 145)');
  await clickAction(page, 'settings');
  await clickAction(page, 'accept_all', '.foot');
  await until(() => lastEvent()?.page_url.endsWith('/page/plain'));
  assert.deepEqual(violations, []);
  await context.close();
});
