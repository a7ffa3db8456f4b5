// The build: core, UI and all-in-one bundles, each a single IIFE; the sizes a visitor
// downloads within the budgets; the core holds no UI code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build, OUT, CORE, UI, BUDGETS, BUDGET, DIST } from '../scripts/build.mjs';

test('dist: core, UI and all-in-one bundles within the budgets; the CSS in the UI, not the core', async () => {
  const { files, sizes } = await build({ quiet: true });
  for (const f of [OUT, CORE, UI]) {
    const src = readFileSync(f, 'utf8');
    assert.match(src, /^\(\(\)=>\{/);
    assert.ok(!/\bimport\s*[{(*]|\bexport\s/.test(src), 'no module syntax left');
  }
  assert.equal(files['loader.min.js'].gzip, gzipSync(readFileSync(OUT), { level: 9 }).length);
  assert.ok(files['loader.min.js'].gzip <= BUDGET);
  for (const k of Object.keys(BUDGETS)) assert.ok(sizes[k] <= BUDGETS[k], `${k}: ${sizes[k]} > ${BUDGETS[k]}`);
  const core = readFileSync(CORE, 'utf8');
  const ui = readFileSync(UI, 'utf8');
  assert.ok(ui.includes('.banner{position:fixed') && !core.includes('.banner{'), 'banner CSS only in the UI');
  assert.ok(core.includes('__consentServiceConfig') && core.includes('sendBeacon'));
  assert.ok(ui.includes('__consentServiceTexts') && !ui.includes('MutationObserver'));
  const manifest = JSON.parse(readFileSync(`${DIST}/manifest.json`, 'utf8'));
  assert.deepEqual(Object.keys(manifest.files).sort(), ['core.min.js', 'loader.min.js', 'ui.min.js']);
  assert.deepEqual(manifest.budgets, BUDGETS);
});
