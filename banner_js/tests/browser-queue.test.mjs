// Recording under failure: the outbox in localStorage, backoff retries,
// flush on the next page load, sendBeacon on pagehide; no duplicates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServerAndBrowser } from './helpers/suite.mjs';
import { newContext, sleep } from './helpers/browser.mjs';
import { clickAction, bannerVisible, until, queueItems, consentCookie } from './helpers/actions.mjs';

let srv, browser;
withServerAndBrowser((s, b) => {
  srv = s;
  browser = b;
});

const postsFor = (id) => srv.state.posts.filter((p) => p.event.event_id === id);

test('outage (connections dropped): the event waits in the queue and is flushed on the next page load, once', async () => {
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('plain'));
  await until(() => bannerVisible(page));
  srv.state.outage = 'drop';
  try {
    await clickAction(page, 'accept_all');
    const q = await until(async () => {
      const items = await queueItems(page);
      return items.length === 1 && items[0].attempts >= 1 && items;
    }, 5000, 'failed attempt recorded');
    const id = q[0].event.event_id;
    assert.equal(srv.state.events.has(id), false);
    assert.equal((await consentCookie(context)).data.r, null, 'no receipt yet');
    // The choice itself is in force during the outage.
    assert.equal(await page.evaluate(() => window.consentService.acceptedCategory('analytics')), true);
    srv.state.outage = null;
    await page.goto(srv.url('plain'));
    await until(() => srv.state.events.has(id), 5000, 'event after reload');
    await until(async () => (await queueItems(page)).length === 0, 5000, 'queue emptied');
    const receipt = srv.state.events.get(id).receipt_id;
    assert.equal((await until(async () => (await consentCookie(context)).data.r)), receipt, 'receipt id stored in the cookie');
    await page.reload();
    await sleep(500);
    assert.equal([...srv.state.events.values()].filter((r) => r.event.event_id === id).length, 1, 'recorded once');
    assert.equal(srv.state.events.get(id).event.action, 'accept_all');
  } finally {
    srv.state.outage = null;
  }
  await context.close();
});

test('server 503: retried with backoff on the same page until acknowledged; same event_id every time', async () => {
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('plain'));
  await until(() => bannerVisible(page));
  srv.state.outage = '503';
  let id;
  try {
    await clickAction(page, 'reject_all');
    const q = await until(async () => {
      const items = await queueItems(page);
      return items[0]?.attempts >= 1 && items;
    });
    id = q[0].event.event_id;
    assert.ok(q[0].nextAt > Date.now() - 1000, 'next attempt scheduled');
  } finally {
    srv.state.outage = null;
  }
  await until(() => srv.state.events.has(id), 8000, 'retry after backoff');
  await until(async () => (await queueItems(page)).length === 0);
  assert.ok(postsFor(id).every((p) => p.event.event_id === id));
  assert.equal(srv.state.events.get(id).event.action, 'reject_all');
  await context.close();
});

test('pagehide: pending events go out with sendBeacon as application/json', async () => {
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(srv.url('plain'));
  await until(() => bannerVisible(page));
  srv.state.outage = 'drop';
  let id;
  try {
    await page.evaluate(() => window.consentService.open());
    await page.evaluate(() => document.getElementById('consent-service-root').shadowRoot.querySelector('input[data-category="marketing"]').click());
    await clickAction(page, 'save');
    id = (await until(async () => (await queueItems(page))[0]?.attempts >= 1 && (await queueItems(page))))[0].event.event_id;
  } finally {
    srv.state.outage = null;
  }
  await page.goto(srv.base + '/blank'); // a page without the loader: only the beacon can deliver
  const rec = await until(() => srv.state.events.get(id), 5000, 'beacon');
  assert.deepEqual(rec.event.choices, { necessary: true, preferences: false, analytics: false, marketing: true });
  assert.ok(postsFor(id).every((p) => p.contentType.startsWith('application/json')), 'beacon carried application/json');
  await context.close();
});
