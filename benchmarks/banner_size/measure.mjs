#!/usr/bin/env node
// Gzip size (-9) of what our loader serves vs vanilla-cookieconsent and klaro
// (their npm packages, installed here by `npm ci`): main dist JS + CSS.
// Usage: (cd banner_js && npm ci && npm run build) && (cd benchmarks/banner_size && npm ci && node measure.mjs)
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const nm = path.join(here, 'node_modules');
const version = (pkg) => JSON.parse(readFileSync(path.join(nm, pkg, 'package.json'), 'utf8')).version;

const dist = path.join(repo, 'banner_js', 'dist');
const file = (f) => path.join(dist, f);
if (!existsSync(file('core.min.js'))) {
  console.error('banner_js/dist/core.min.js missing: run `npm run build` in banner_js first');
  process.exit(1);
}
// What a visitor downloads from us: the core with its config inlined (the test config in
// fi/sv/en with the catalog's blocking rules), and on a first visit the UI with one language.
const { makeConfig } = await import(path.join(repo, 'banner_js', 'tests', 'fixtures', 'config.js'));
const { coreScript, uiScript } = await import(path.join(repo, 'banner_js', 'scripts', 'split.mjs'));
const blocking = JSON.parse(readFileSync(path.join(repo, 'banner_js', 'tests', 'fixtures', 'catalog-blocking.json'), 'utf8'));
const full = makeConfig('https://consent.example.fi/api/v1', { blocking });
const core = Buffer.from(coreScript(full, 'https://consent.example.fi/loader/pk_test_banner/ui-{lang}.0123456789abcdef0123.js', readFileSync(file('core.min.js'), 'utf8')));
const ui = Buffer.from(uiScript(full, 'fi', readFileSync(file('ui.min.js'), 'utf8')));

const rows = [
  ['consent-service: return visit (blocking core + config)', '/loader/<site_key>.js', [core]],
  ['consent-service: UI + Finnish texts (first visit / settings only)', '/loader/<site_key>/ui-fi.<v>.js', [ui]],
  ['consent-service: first visit (core + UI + one language)', 'both, gzipped separately', [core, ui], true],
  [`vanilla-cookieconsent ${version('vanilla-cookieconsent')}`, 'dist/cookieconsent.umd.js + dist/cookieconsent.css', ['vanilla-cookieconsent/dist/cookieconsent.umd.js', 'vanilla-cookieconsent/dist/cookieconsent.css'].map((p) => path.join(nm, p))],
  [`klaro ${version('klaro')} (main)`, 'dist/klaro.js (CSS + all translations inside)', [path.join(nm, 'klaro/dist/klaro.js')]],
  [`klaro ${version('klaro')} (lean)`, 'dist/klaro-no-translations-no-css.js + klaro-no-translations.min.css', ['klaro/dist/klaro-no-translations-no-css.js', 'klaro/dist/klaro-no-translations.min.css'].map((p) => path.join(nm, p))],
];

const out = [];
out.push('| package | files | raw bytes | gzip -9 bytes |');
out.push('|---|---|---:|---:|');
for (const [name, desc, files, separate] of rows) {
  const bufs = files.map((f) => (Buffer.isBuffer(f) ? f : readFileSync(f)));
  const all = Buffer.concat(bufs);
  // JS and CSS concatenated, gzipped as one (as one would serve them bundled); our two
  // scripts are two responses, so gzipped one by one.
  const gz = separate ? bufs.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0) : gzipSync(all, { level: 9 }).length;
  out.push(`| ${name} | ${desc} | ${all.length} | ${gz} |`);
}
console.log(out.join('\n'));
