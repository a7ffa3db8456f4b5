// axe-core (WCAG 2.0/2.1/2.2 A and AA + best practice) on the banner, the preference
// centre and the embed placeholders at 1280 and 375 px in fi/sv/en; the fi and sv
// preference centres and placeholders contain no English words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServerAndBrowser } from './helpers/suite.mjs';
import { newContext, AXE_SOURCE } from './helpers/browser.mjs';
import { clickAction, bannerVisible, until } from './helpers/actions.mjs';
import { texts, makeConfig } from './fixtures/config.js';

let srv, browser;
withServerAndBrowser((s, b) => {
  srv = s;
  browser = b;
});

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice'];

async function runAxe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async (tags) => {
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return {
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })),
      passes: r.passes.length,
    };
  }, TAGS);
}

/** Visible text of the preference centre (details opened) and of the placeholders. */
const visibleText = (page) =>
  page.evaluate(() => {
    const root = document.getElementById('consent-service-root').shadowRoot;
    root.querySelectorAll('details').forEach((d) => (d.open = true));
    const ph = Array.from(document.querySelectorAll('[data-consent-placeholder]')).map((p) => p.shadowRoot.textContent);
    const btn = (document.getElementById('consent-service-reopen') || { shadowRoot: { textContent: '' } }).shadowRoot.textContent;
    return [root.querySelector('.modal').innerText, ...ph, btn].join('\n');
  });

// English words that must not appear in a Finnish or Swedish banner (service, vendor
// and cookie names are removed first: they stay as they are).
const ENGLISH = ['year', 'years', 'month', 'months', 'week', 'weeks', 'day', 'days', 'hour', 'hours', 'minute', 'minutes', 'session', 'until', 'browser', 'closes', 'cookie', 'cookies', 'lifetime', 'vendor', 'services', 'accept', 'reject', 'settings', 'save', 'close', 'always', 'allow', 'show', 'content', 'load', 'privacy', 'your', 'consent', 'the', 'and', 'of', 'off'] // not 'on' (Finnish for 'is');

for (const lang of ['fi', 'sv', 'en']) {
  for (const width of [1280, 375]) {
    test(`axe-core: 0 violations, banner + placeholders + preference centre, ${lang} at ${width}px`, async () => {
      const { context } = await newContext(browser, { viewport: { width, height: width > 600 ? 800 : 740 } });
      const page = await context.newPage();
      await page.goto(srv.url('embed', { lang }));
      await until(() => bannerVisible(page), 5000, 'banner');
      await until(() => page.evaluate(() => Array.from(document.querySelectorAll('[data-consent-placeholder]')).every((p) => p.shadowRoot && p.shadowRoot.querySelector('button'))), 5000, 'placeholders');
      const a1 = await runAxe(page);
      assert.deepEqual(a1.violations, [], `banner and placeholders, ${lang} ${width}px`);
      assert.ok(a1.passes > 10, 'axe looked into the shadow roots');
      await clickAction(page, 'settings');
      await page.evaluate(() => document.getElementById('consent-service-root').shadowRoot.querySelectorAll('details').forEach((d) => (d.open = true)));
      const a2 = await runAxe(page);
      assert.deepEqual(a2.violations, [], `preference centre, ${lang} ${width}px`);
      // Only one layer's buttons at a time, in one order.
      const rows = await page.evaluate(() => {
        const root = document.getElementById('consent-service-root').shadowRoot;
        return ['.row', '.foot'].map((s) => { const r = root.querySelector(s); return { shown: r.getClientRects().length > 0, order: Array.from(r.querySelectorAll('button')).map((b) => b.dataset.action) }; });
      });
      assert.deepEqual(rows.map((r) => r.shown), [false, true], 'the first layer is hidden under the preference centre');
      assert.deepEqual(rows[0].order.slice(0, 2), rows[1].order.slice(0, 2), 'same order on both layers');
      assert.deepEqual(rows[1].order, ['accept_all', 'reject_all', 'save']);
      if (lang != 'en') {
        let text = await visibleText(page);
        const cfg = makeConfig('');
        const names = cfg.categories.flatMap((c) => c.services.flatMap((s) => [s.name, s.vendor, ...s.cookies.map((k) => k.name)])).concat(['Vimeo', 'player.vimeo.com', 'YouTube', 'Esittelyvideo']);
        for (const n of names.sort((a, b) => b.length - a.length)) text = text.split(n).join(' ');
        const words = text.toLowerCase().split(/[^a-zåäöéü]+/u);
        const english = ENGLISH.filter((w) => words.includes(w));
        assert.deepEqual(english, [], `English words in the ${lang} preference centre: ${english}\n${text}`);
        // The catalog's English lifetimes arrive localised.
        const expect = lang == 'fi' ? ['2 vuotta', '1 vuosi', '24 tuntia', 'selainistunnon ajan'] : ['2 år', '1 år', '24 timmar', 'tills webbläsaren stängs'];
        for (const e of expect) assert.ok(text.includes(e), `${e} in ${lang}`);
      }
      await context.close();
    });
  }
}

test('closing the preference centre brings the banner back (no choice made)', async () => {
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('plain', { lang: 'en' }));
  await until(() => bannerVisible(page));
  await clickAction(page, 'settings');
  assert.equal(await bannerVisible(page), false);
  await clickAction(page, 'close');
  assert.equal(await bannerVisible(page), true);
  assert.equal(await page.evaluate(() => window.consentService.getConsent()), null);
  await context.close();
  assert.ok(texts.en.close);
});
