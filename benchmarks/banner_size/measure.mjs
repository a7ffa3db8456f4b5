#!/usr/bin/env node
// Gzip size (-9) of our built loader vs vanilla-cookieconsent and klaro
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

const loader = path.join(repo, 'banner_js', 'dist', 'loader.min.js');
if (!existsSync(loader)) {
  console.error('banner_js/dist/loader.min.js missing: run `npm run build` in banner_js first');
  process.exit(1);
}
// Our loader ships without texts: the server inlines the config. Measure it with the test config too.
const { makeConfig } = await import(path.join(repo, 'banner_js', 'tests', 'fixtures', 'config.js'));
const withConfig = `window.__consentServiceConfig = ${JSON.stringify(makeConfig('https://consent.example.fi/api/v1'))};\n` + readFileSync(loader, 'utf8');

const rows = [
  ['consent-service loader (JS, CSS embedded)', 'banner_js/dist/loader.min.js', [loader]],
  ['consent-service loader + inlined fi/sv/en test config', 'as served by /loader/<site_key>.js', [Buffer.from(withConfig)]],
  [`vanilla-cookieconsent ${version('vanilla-cookieconsent')}`, 'dist/cookieconsent.umd.js + dist/cookieconsent.css', ['vanilla-cookieconsent/dist/cookieconsent.umd.js', 'vanilla-cookieconsent/dist/cookieconsent.css'].map((p) => path.join(nm, p))],
  [`klaro ${version('klaro')} (main)`, 'dist/klaro.js (CSS + all translations inside)', [path.join(nm, 'klaro/dist/klaro.js')]],
  [`klaro ${version('klaro')} (lean)`, 'dist/klaro-no-translations-no-css.js + klaro-no-translations.min.css', ['klaro/dist/klaro-no-translations-no-css.js', 'klaro/dist/klaro-no-translations.min.css'].map((p) => path.join(nm, p))],
];

const out = [];
out.push('| package | files | raw bytes | gzip -9 bytes |');
out.push('|---|---|---:|---:|');
for (const [name, desc, files] of rows) {
  const bufs = files.map((f) => (Buffer.isBuffer(f) ? f : readFileSync(f)));
  const all = Buffer.concat(bufs);
  // JS and CSS concatenated, gzipped as one (as one would serve them bundled).
  out.push(`| ${name} | ${desc} | ${all.length} | ${gzipSync(all, { level: 9 }).length} |`);
}
console.log(out.join('\n'));
