// The built loader: one minified IIFE within the 8 KiB gzip budget, CSS embedded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build, OUT, BUDGET } from '../scripts/build.mjs';

test('dist/loader.min.js is a single IIFE under the gzip budget with the CSS inside', async () => {
  const { gzip } = await build({ quiet: true });
  const src = readFileSync(OUT, 'utf8');
  assert.equal(gzip, gzipSync(src, { level: 9 }).length);
  assert.ok(gzip <= BUDGET, `gzip ${gzip} > ${BUDGET}`);
  assert.match(src, /^\(\(\)=>\{/);
  assert.ok(!/\bimport\s*[{(*]|\bexport\s/.test(src), 'no module syntax left');
  assert.ok(src.includes('.banner{position:fixed'), 'CSS embedded');
  assert.ok(src.includes('__consentServiceConfig'));
});
