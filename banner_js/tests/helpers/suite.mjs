// The set-up every browser test file shares: one fake consent-service and one Chromium.
import { before, after } from 'node:test';
import { startServer } from './server.mjs';
import { launch } from './browser.mjs';

/**
 * Start the server and the browser before the file's tests, close both after.
 * @param {(srv: Awaited<ReturnType<typeof startServer>>, browser: import('playwright-core').Browser) => void} receive
 */
export function withServerAndBrowser(receive) {
  let srv, browser;
  before(async () => {
    srv = await startServer();
    browser = await launch();
    receive(srv, browser);
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });
}
