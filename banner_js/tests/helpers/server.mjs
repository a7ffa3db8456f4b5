// Test server on 127.0.0.1 (random port): test pages, the built loader with an
// inlined config (as Flask does), and a minimal consents endpoint that records
// events, is idempotent on event_id and can simulate an outage.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { build, OUT, CORE, UI } from '../../scripts/build.mjs';
import { coreScript, uiScript } from '../../scripts/split.mjs';
import { makeConfig } from '../fixtures/config.js';
import { pages } from './pages.mjs';

let built = null;
/** Build once per process (esbuild takes ~30 ms). */
export async function ensureBuilt() {
  if (!built) built = build({ quiet: true });
  await built;
  return { full: readFileSync(OUT, 'utf8'), core: readFileSync(CORE, 'utf8'), ui: readFileSync(UI, 'utf8') };
}

export async function startServer() {
  const bundle = await ensureBuilt();
  const state = {
    posts: [], // every POST that reached the handler (including duplicates)
    events: new Map(), // event_id -> {event, receipt_id}
    outage: null, // null | '503' | 'drop'
    port: 0,
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Allow-Methods': 'POST, OPTIONS' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      return res.end();
    }
    const m = url.pathname.match(/^\/api\/v1\/sites\/([^/]+)\/consents$/);
    if (m && req.method === 'POST') {
      if (state.outage === 'drop') return req.socket.destroy();
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const send = (status, obj) => {
          res.writeHead(status, { 'Content-Type': 'application/json', ...cors });
          res.end(JSON.stringify(obj));
        };
        if (state.outage === '503') return send(503, { code: 'unavailable', status: 503, message: 'maintenance', errors: [] });
        const ct = req.headers['content-type'] || '';
        let ev;
        try {
          ev = JSON.parse(body);
        } catch {
          return send(400, { code: 'bad_json', status: 400, message: 'invalid JSON', errors: [] });
        }
        state.posts.push({ event: ev, contentType: ct, site: m[1], at: Date.now() });
        if (!ct.startsWith('application/json')) return send(415, { code: 'unsupported_media_type', status: 415, message: 'JSON only', errors: [] });
        const missing = ['event_id', 'policy_version', 'action', 'choices', 'language', 'banner_hash', 'page_url', 'gpc'].filter((k) => !(k in ev));
        if (missing.length || !['accept_all', 'reject_all', 'custom', 'withdraw', 'embed'].includes(ev.action) || (ev.action === 'embed') !== !!ev.service || ev.choices.necessary !== true)
          return send(422, { code: 'validation_error', status: 422, message: 'invalid event', errors: missing });
        const seen = state.events.get(ev.event_id);
        if (seen) return send(200, { receipt_id: seen.receipt_id, receipt: 'r', recorded_at: seen.at });
        const rec = { event: ev, receipt_id: 'rcpt_' + randomUUID().slice(0, 8), at: new Date().toISOString() };
        state.events.set(ev.event_id, rec);
        return send(201, { receipt_id: rec.receipt_id, receipt: 'r', recorded_at: rec.at });
      });
      return;
    }
    if (url.pathname === '/loader.js' || url.pathname === '/ui.js') {
      // As Flask serves them: the core with its config; the UI with one language's texts
      // (?full=1: the all-in-one bundle with the whole config, as the admin preview).
      const o = url.searchParams.get('o') || '';
      const overrides = o ? JSON.parse(Buffer.from(o, 'base64url').toString()) : {};
      const cfg = makeConfig(`http://127.0.0.1:${state.port}/api/v1`, overrides, url.searchParams.get('lang') || 'fi');
      res.writeHead(200, { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
      if (url.pathname === '/ui.js') {
        state.uiFetches = (state.uiFetches || 0) + 1;
        return res.end(uiScript(cfg, url.searchParams.get('ui') || 'en', bundle.ui));
      }
      if (url.searchParams.get('full')) return res.end(`window.__consentServiceConfig = ${JSON.stringify(cfg)};\n${bundle.full}`);
      return res.end(coreScript(cfg, `/ui.js?ui={lang}&o=${o}`, bundle.core));
    }
    const pm = url.pathname.match(/^\/page\/([a-z0-9-]+)$/);
    if (pm && pages[pm[1]]) {
      const lang = url.searchParams.get('lang') || 'fi';
      // ?nocmp=1: the same page without the loader (the benchmark's baseline).
      const loaderSrc = url.searchParams.get('nocmp') ? '' : `/loader.js?lang=${lang}` + (url.searchParams.get('o') ? `&o=${url.searchParams.get('o')}` : '') + (url.searchParams.get('full') ? '&full=1' : '');
      const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' };
      if (url.searchParams.get('csp')) {
        headers['Content-Security-Policy'] = "default-src 'self'; script-src 'self' 'nonce-t3st' https://www.googletagmanager.com https://connect.facebook.net; style-src 'self'; img-src 'self' https:; frame-src https:; connect-src 'self'";
      }
      res.writeHead(200, headers);
      // ?inline=1: the core with its config inlined in the page itself.
      let loaderInline = '';
      if (url.searchParams.get('inline')) {
        const o = url.searchParams.get('o') || '';
        const cfg = makeConfig(`http://127.0.0.1:${state.port}/api/v1`, o ? JSON.parse(Buffer.from(o, 'base64url').toString()) : {}, lang);
        loaderInline = coreScript(cfg, `/ui.js?ui={lang}&o=${o}`, bundle.core);
      }
      return res.end(pages[pm[1]]({ lang, loaderSrc, loaderInline }));
    }
    if (url.pathname === '/blank') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end('<!doctype html><html lang="en"><title>blank</title><main><p>blank</p></main>');
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  state.port = server.address().port;
  const base = `http://127.0.0.1:${state.port}`;
  return {
    base,
    state,
    /** @param {string} name @param {{lang?: string, o?: object, csp?: boolean}} [q] */
    url(name, q = {}) {
      const p = new URLSearchParams({ lang: q.lang || 'fi' });
      if (q.o) p.set('o', Buffer.from(JSON.stringify(q.o)).toString('base64url'));
      if (q.csp) p.set('csp', '1');
      if (q.full) p.set('full', '1');
      if (q.nocmp) p.set('nocmp', '1');
      if (q.inline) p.set('inline', '1');
      return `${base}/page/${name}?${p}`;
    },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
