#!/usr/bin/env node
// First contentful paint and banner-visible time: the same page with our loader
// (blocking core + async UI) and without any CMP, in headless Chromium on
// localhost, interleaved runs, medians. Uses banner_js's test server (the
// loader served as Flask serves it, with the catalog's blocking rules).
// Usage: (cd banner_js && npm ci) && node benchmarks/banner_size/fcp.mjs [runs=21]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '../../banner_js/node_modules/playwright-core/index.mjs';
import { startServer } from '../../banner_js/tests/helpers/server.mjs';
import { CHROMIUM, ARGS } from '../../banner_js/tests/helpers/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const runs = Number(process.argv[2] || 21);
const blocking = JSON.parse(readFileSync(path.join(here, '../../banner_js/tests/fixtures/catalog-blocking.json'), 'utf8'));
const srv = await startServer();
// Nothing but loopback is reachable.
const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'] });

// Banner-visible: first animation frame in which the banner has a box.
const probe = () => {
  const t = () => {
    const h = document.getElementById('consent-service-root');
    const b = h && h.shadowRoot && h.shadowRoot.querySelector('.banner');
    if (b && !b.hidden && b.getClientRects().length) window.__bannerAt = performance.now();
    else requestAnimationFrame(t);
  };
  requestAnimationFrame(t);
};

const variants = {
  'no CMP': { url: srv.url('plain', { lang: 'fi', nocmp: true }) },
  'loader, first visit (banner)': { url: srv.url('plain', { lang: 'fi', o: { blocking } }), banner: true },
  'loader, return visit (consent stored, no UI)': { url: srv.url('plain', { lang: 'fi', o: { blocking } }), stored: true },
  'core inlined in the HTML, first visit': { url: srv.url('plain', { lang: 'fi', o: { blocking }, inline: true }), banner: true },
  'core inlined in the HTML, return visit': { url: srv.url('plain', { lang: 'fi', o: { blocking }, inline: true }), stored: true },
};

const cookie = encodeURIComponent(JSON.stringify({ v: 1, c: ['analytics'], t: Date.now(), r: null, e: 'x', g: 0 }));
const results = Object.fromEntries(Object.keys(variants).map((k) => [k, { fcp: [], banner: [], bytes: [] }]));

// One context per variant, reused (a new context per run costs more than the page itself
// on a loaded machine), a new tab per run; cookies are reset before every navigation.
const pages = {};
for (const [name, v] of Object.entries(variants)) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(probe);
  pages[name] = { context };
}
async function once(name) {
  const v = variants[name];
  const { context } = pages[name];
  const page = await context.newPage(); // a new tab: no previous document to unload
  await context.clearCookies();
  if (v.stored) await context.addCookies([{ name: 'cs_consent', value: cookie, url: srv.base }]);
  let bytes = 0;
  const onResponse = async (r) => {
    if (/\/(loader|ui)\.js/.test(r.url())) bytes += Number((await r.allHeaders())['content-length'] || 0) || (await r.body().catch(() => Buffer.alloc(0))).length;
  };
  if (process.env.BYTES) page.on('response', onResponse);
  await page.goto(v.url, { waitUntil: 'load' });
  if (v.banner) await page.waitForFunction(() => window.__bannerAt, null, { timeout: 5000, polling: 50 });
  const m = await page.evaluate(() => ({ fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime, banner: window.__bannerAt, ui: performance.getEntriesByType('resource').filter((r) => r.name.includes('/ui.js')).length, fetch: (performance.getEntriesByType('resource').find((r) => r.name.includes('/loader.js')) || {}).duration, exec: window.__t1 - window.__t0 }));
  await page.close();
  results[name].fcp.push(m.fcp);
  if (v.banner) results[name].banner.push(m.banner);
  results[name].bytes.push(bytes);
  if (m.fetch != null) (results[name].fetch = results[name].fetch || []).push(m.fetch);
  if (m.exec >= 0) (results[name].exec = results[name].exec || []).push(m.exec);
  results[name].ui = (results[name].ui || 0) + m.ui;
}

const median = (a) => {
  const s = a.filter((x) => x != null).sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

for (const name of Object.keys(variants)) await once(name); // warm-up, not counted
for (const k of Object.keys(results)) results[k] = { fcp: [], banner: [], bytes: [], ui: 0 };
const names = Object.keys(variants);
for (let i = 0; i < runs; i++) for (const name of i % 2 ? names.slice().reverse() : names) await once(name);

const base = median(results['no CMP'].fcp);
console.log(`Chromium ${browser.version()}, localhost, ${runs} interleaved runs each, medians (ms)`);
console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs`);
console.log('| page | FCP | FCP − no CMP | banner visible | core fetch (blocking) | core run (inlined) | UI fetched (runs) |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const name of names) {
  const r = results[name];
  const f = median(r.fcp);
  console.log(`| ${name} | ${f.toFixed(1)} | ${name == 'no CMP' ? '—' : (f - base >= 0 ? '+' : '') + (f - base).toFixed(1)} | ${r.banner.length ? median(r.banner).toFixed(1) : '—'} | ${r.fetch ? median(r.fetch).toFixed(1) : '—'} | ${r.exec ? median(r.exec).toFixed(1) : '—'} | ${r.ui || 0} |`);
}
for (const { context } of Object.values(pages)) await context.close();
await browser.close();
await srv.close();
