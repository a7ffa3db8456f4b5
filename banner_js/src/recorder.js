/**
 * Sends consent events, with the persistent outbox from queue.js.
 * @module recorder
 */
import * as Q from './queue.js';

/**
 * @param {(eventId: string, receiptId: string) => void} onReceipt
 */
export function createRecorder(onReceipt) {
  /** @type {number | undefined} */
  let timer;
  let flushing = false;

  function load() {
    try {
      return Q.decode(localStorage.getItem(Q.QUEUE_KEY));
    } catch (e) {
      return memory;
    }
  }
  /** @type {Q.QueueItem[]} */
  let memory = [];
  /** @param {Q.QueueItem[]} items */
  function store(items) {
    memory = items;
    try {
      if (items.length) localStorage.setItem(Q.QUEUE_KEY, JSON.stringify(items));
      else localStorage.removeItem(Q.QUEUE_KEY);
    } catch (e) {
      /* storage blocked: keep in memory for this page */
    }
  }

  /** @param {Q.QueueItem} item @returns {Promise<void>} */
  async function sendOne(item) {
    let status = 0;
    /** @type {any} */
    let body = null;
    try {
      const res = await fetch(item.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(item.event),
        credentials: 'omit',
        mode: 'cors',
      });
      status = res.status;
      body = await res.json().catch(() => null);
    } catch (e) {
      status = 0;
    }
    const verdict = Q.classify(status);
    if (verdict === 'done') {
      store(Q.remove(load(), item.event.event_id));
      if (body && body.receipt_id) onReceipt(item.event.event_id, String(body.receipt_id));
    } else if (verdict === 'drop') {
      store(Q.remove(load(), item.event.event_id));
      console.warn('consent event rejected', status, body);
    } else {
      store(Q.markFailed(load(), item.event.event_id, Date.now(), Math.random()));
    }
  }

  /** @param {boolean} [all] ignore backoff (page load, online) */
  async function flush(all) {
    if (flushing) return;
    flushing = true;
    try {
      const items = all ? load() : Q.due(load(), Date.now());
      for (const it of items) await sendOne(it);
    } finally {
      flushing = false;
      schedule();
    }
  }

  function schedule() {
    clearTimeout(timer);
    const at = Q.nextDueAt(load());
    if (at != null) timer = /** @type {any} */ (setTimeout(() => flush(false), Math.max(0, at - Date.now())));
  }

  function beaconAll() {
    if (!navigator.sendBeacon) return;
    for (const it of load()) {
      try {
        navigator.sendBeacon(it.url, new Blob([JSON.stringify(it.event)], { type: 'application/json' }));
      } catch (e) {
        /* ignore: retried on the next page load */
      }
    }
  }

  addEventListener('online', () => flush(true));
  addEventListener('pagehide', beaconAll);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') beaconAll();
  });

  return {
    /** @param {string} url @param {Record<string, any>} event */
    record(url, event) {
      store(Q.enqueue(load(), url, event, Date.now()));
      return flush(false);
    },
    flush,
    pending: () => load(),
  };
}
