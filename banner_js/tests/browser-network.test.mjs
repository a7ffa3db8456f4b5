// Network calls by page code (fetch, sendBeacon, XHR, WebSocket, EventSource,
// script-created preload/prefetch links) to tracker hosts: none before a choice
// or after "Reject all" + reload, all after "Accept all". The tracker hosts are
// mapped to a local TCP sink with --host-resolver-rules (every other host fails
// to resolve), so the count is of real connections, with no Playwright routing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './helpers/server.mjs';
import { CHROMIUM, ARGS, sleep } from './helpers/browser.mjs';
import { clickAction, bannerVisible, until } from './helpers/actions.mjs';

const HOST = 'region1.google-analytics.com';
let srv, browser, sink;
const hits = [];

before(async () => {
  srv = await startServer();
  // google-analytics.com is HSTS-preloaded: the sink speaks TLS (throw-away self-signed certificate).
  const dir = mkdtempSync(path.join(tmpdir(), 'cs-sink-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=sink', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
  sink = https.createServer({ key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')) }, (req, res) => {
    hits.push(`${req.headers.host} ${req.method} ${req.url}`);
    if (req.url === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Access-Control-Allow-Origin': '*' });
      return res.end('data: hi\n\n');
    }
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' });
    res.end('ok');
  });
  sink.on('upgrade', (req, socket) => {
    hits.push(`${req.headers.host} UPGRADE ${req.url}`);
    socket.destroy();
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const p = sink.address().port;
  const rules = `MAP ${HOST} 127.0.0.1:${p}, MAP connect.facebook.net 127.0.0.1:${p}, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, `--host-resolver-rules=${rules}`, '--ignore-certificate-errors'] });
});
after(async () => {
  await browser?.close();
  await srv?.close();
  sink?.closeAllConnections?.();
  await new Promise((r) => sink.close(r));
});

const run = (page) => page.evaluate((h) => window.sendAll(h), HOST);

test('page network calls to a tracker: refused as network errors before a choice and after reject + reload, sent after accept', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(srv.url('network', { lang: 'en' }));
  await until(() => bannerVisible(page));

  const before = await run(page);
  await sleep(500);
  assert.deepEqual(hits, [], 'no connection to the tracker before a choice');
  assert.equal(before.fetch, 'TypeError: Failed to fetch');
  assert.equal(before.beacon, false);
  assert.equal(before.xhr, 'error 4 0');
  assert.equal(before.ws, 'error 3 close 1006');
  assert.equal(before.es, 'error 2');

  await clickAction(page, 'reject_all');
  // (An unsent event would make the next page fetch the UI to send it.)
  await until(() => page.evaluate(() => !localStorage.getItem('cs_consent_queue')), 5000, 'event sent');
  await page.reload();
  await page.waitForFunction(() => window.consentService && window.consentService.getConsent());
  const rejected = await run(page);
  await sleep(500);
  assert.deepEqual(hits, [], 'no connection after reject + reload');
  assert.equal(rejected.beacon, false);
  assert.deepEqual(await page.evaluate(() => window.__uncaught), [], 'page code saw ordinary errors, nothing uncaught');

  const uiLoads = () => page.evaluate(() => performance.getEntriesByType('resource').filter((r) => r.name.includes('/ui.js')).length);
  assert.equal(await uiLoads(), 0, 'the returning visitor downloaded no UI');

  // Accept in the preference centre, from the reopen button (this fetches the UI).
  await clickAction(page, 'reopen');
  await until(() => page.evaluate(() => document.getElementById('consent-service-root')?.shadowRoot.querySelector('.overlay').hidden === false));
  assert.equal(await uiLoads(), 1);
  await clickAction(page, 'accept_all', '.foot');
  const accepted = await run(page);
  await until(() => ['fetch', 'beacon', 'xhr', 'UPGRADE', 'events', 'fbevents', 'signals'].every((k) => hits.some((h) => h.includes(k === 'fetch' ? 'page_view' : k))), 5000, `all calls at the sink: ${hits}`);
  assert.equal(accepted.beacon, true);
  assert.equal(accepted.fetch, 'ok');
  assert.equal(accepted.xhr, 'load 200');
  assert.deepEqual(await page.evaluate(() => window.__uncaught), []);
  // Nothing from before consent was replayed: one hit per call made after it.
  assert.equal(hits.filter((h) => h.includes('page_view')).length, 1);
  await context.close();
});

test('all-in-one bundle (admin preview): the whole config inline, banner without fetching the UI', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const n = srv.state.uiFetches;
  await page.goto(srv.url('plain', { lang: 'sv', full: true }));
  await until(() => bannerVisible(page));
  assert.equal(srv.state.uiFetches, n);
  assert.equal(await page.evaluate(() => window.consentService.language), 'sv');
  await clickAction(page, 'reject_all');
  await until(() => page.evaluate(() => !!window.consentService.getConsent()));
  await context.close();
});

test('refused calls look like the real failures: Request and URL objects, sync XHR, instanceof, send on a refused socket', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(srv.url('network', { lang: 'en' }));
  await until(() => bannerVisible(page));
  const n = hits.length;
  const r = await page.evaluate(async (h) => {
    const out = {};
    const err = async (p) => p.then(() => 'ok', (e) => e.name);
    out.request = await err(fetch(new Request(`https://${h}/r`)));
    out.url = await err(fetch(new URL(`https://${h}/u`)));
    out.relative = await err(fetch('/blank')); // our own origin goes through
    const x = new XMLHttpRequest();
    x.open('GET', `https://${h}/sync`, false);
    try { x.send(); out.sync = 'sent'; } catch (e) { out.sync = e.name; }
    const ws = new WebSocket(`wss://${h}/w`);
    out.instance = ws instanceof WebSocket && ws.readyState === WebSocket.CLOSED;
    try { ws.send('x'); out.send = 'ignored'; } catch (e) { out.send = e.name; } // as on a CLOSED socket
    ws.addEventListener('error', () => (out.listener = true));
    const es = new EventSource(`https://${h}/e`);
    out.es = es instanceof EventSource && es.readyState === EventSource.CLOSED;
    await new Promise((res) => setTimeout(res, 100));
    return out;
  }, HOST);
  assert.deepEqual(r, { request: 'TypeError', url: 'TypeError', relative: 'ok', sync: 'NetworkError', instance: true, send: 'ignored', listener: true, es: true });
  await sleep(300);
  assert.equal(hits.length, n, 'nothing reached the sink');
  assert.deepEqual(await page.evaluate(() => window.__uncaught), []);
  await context.close();
});
