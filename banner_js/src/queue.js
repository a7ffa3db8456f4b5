/**
 * Outbox for consent events: persisted in localStorage until the server
 * acknowledges (2xx). Retries with exponential backoff, on `online`, on the
 * next page load, and as a `sendBeacon` on pagehide. The API is idempotent on
 * event_id, so a retry of an event that did arrive is harmless.
 * @module queue
 */

export const QUEUE_KEY = 'cs_consent_queue';
export const BASE_DELAY_MS = 1000;
export const MAX_DELAY_MS = 5 * 60 * 1000;
export const MAX_ITEMS = 50;

/**
 * @typedef {Object} QueueItem
 * @property {Record<string, any>} event  body to POST (has event_id)
 * @property {string} url
 * @property {number} attempts
 * @property {number} nextAt epoch ms of the next timed retry
 */

/**
 * @param {QueueItem[]} items
 * @param {string} url
 * @param {Record<string, any>} event
 * @param {number} now
 * @returns {QueueItem[]}
 */
export function enqueue(items, url, event, now) {
  const rest = items.filter((i) => i.event.event_id !== event.event_id);
  rest.push({ event, url, attempts: 0, nextAt: now });
  return rest.slice(-MAX_ITEMS);
}

/**
 * @param {QueueItem[]} items
 * @param {string} eventId
 */
export function remove(items, eventId) {
  return items.filter((i) => i.event.event_id !== eventId);
}

/**
 * Exponential backoff with deterministic jitter source.
 * @param {number} attempts failures so far (>= 1)
 * @param {number} [rand] 0..1
 */
export function backoff(attempts, rand = 0.5) {
  const base = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * Math.pow(2, Math.max(0, attempts - 1)));
  return Math.round(base * (0.75 + rand * 0.5));
}

/**
 * Record a failed attempt.
 * @param {QueueItem[]} items
 * @param {string} eventId
 * @param {number} now
 * @param {number} [rand]
 */
export function markFailed(items, eventId, now, rand) {
  return items.map((i) => {
    if (i.event.event_id !== eventId) return i;
    const attempts = i.attempts + 1;
    return { ...i, attempts, nextAt: now + backoff(attempts, rand) };
  });
}

/**
 * @param {QueueItem[]} items
 * @param {number} now
 */
export function due(items, now) {
  return items.filter((i) => i.nextAt <= now);
}

/** @param {QueueItem[]} items */
export function nextDueAt(items) {
  return items.length ? Math.min(...items.map((i) => i.nextAt)) : null;
}

/**
 * What to do with a response status.
 * @param {number} status HTTP status, 0 for a network failure
 * @returns {'done' | 'drop' | 'retry'}
 */
export function classify(status) {
  if (status >= 200 && status < 300) return 'done';
  // Validation-type errors will not succeed on retry; 408/425/429 might.
  if (status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429) return 'drop';
  return 'retry';
}

/**
 * @param {string | null} raw
 * @returns {QueueItem[]}
 */
export function decode(raw) {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((i) => i && i.event && i.event.event_id && i.url) : [];
  } catch (e) {
    return [];
  }
}
