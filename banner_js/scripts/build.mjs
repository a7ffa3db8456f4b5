// Build dist/loader.min.js (one minified IIFE, CSS embedded) and fail when
// its gzip size exceeds the budget.
import { build as esbuild, transform } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { readFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = path.join(ROOT, 'dist', 'loader.min.js');
export const BUDGET = 8192;

/** Import .css files as a minified string (embedded, then adopted as a constructed stylesheet). */
const cssText = {
  name: 'css-text',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await transform(readFileSync(args.path, 'utf8'), { loader: 'css', minify: true });
      return { contents: code.trim(), loader: 'text' };
    });
  },
};

export async function build({ quiet = false } = {}) {
  mkdirSync(path.dirname(OUT), { recursive: true });
  await esbuild({
    entryPoints: [path.join(ROOT, 'src', 'main.js')],
    outfile: OUT,
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2019'],
    plugins: [cssText],
    legalComments: 'none',
    logLevel: quiet ? 'error' : 'warning',
  });
  const raw = readFileSync(OUT);
  const gz = gzipSync(raw, { level: 9 }).length;
  return { raw: raw.length, gzip: gz };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const { raw, gzip } = await build();
  const ok = gzip <= BUDGET;
  console.log(`dist/loader.min.js: ${raw} bytes, gzip -9 ${gzip} bytes (budget ${BUDGET}) ${ok ? 'OK' : 'OVER BUDGET'} [${Date.now() - t0} ms]`);
  if (!ok) process.exit(1);
}
