/**
 * Consent cookie `cs_consent`: first-party, SameSite=Lax, Secure on https.
 * Value: URI-encoded compact JSON
 *   {v: policy_version, c: [accepted optional category ids], t: epoch ms,
 *    r: receipt_id|null, e: event_id, g: 0|1 (GPC honoured)}
 * @module storage
 */

export const COOKIE_NAME = 'cs_consent';
const DAY = 864e5;

/**
 * @typedef {Object} StoredConsent
 * @property {number} v policy version consented to
 * @property {Record<string, boolean>} choices every category id → bool (necessary true)
 * @property {number} t timestamp, epoch ms
 * @property {string|null} r receipt id from the server
 * @property {string} e event id
 * @property {boolean} g Global Privacy Control was on
 */

/**
 * @param {StoredConsent} s
 * @returns {string} cookie value (URI-encoded)
 */
export function serialize(s) {
  const c = Object.keys(s.choices).filter((k) => k != 'necessary' && s.choices[k]);
  return encodeURIComponent(JSON.stringify({ v: s.v, c, t: s.t, r: s.r || null, e: s.e, g: s.g ? 1 : 0 }));
}

/**
 * @param {string | null | undefined} value cookie value
 * @param {string[]} ids configured category ids, to expand the choices
 * @returns {StoredConsent | null}
 */
export function parse(value, ids) {
  try {
    const o = JSON.parse(decodeURIComponent(/** @type {string} */ (value)));
    if (typeof o.v != 'number' || typeof o.t != 'number' || !Array.isArray(o.c)) return null;
    /** @type {Record<string, boolean>} */
    const choices = {};
    for (const id of ids) choices[id] = id == 'necessary' || o.c.includes(id);
    return { v: o.v, choices, t: o.t, r: o.r || null, e: o.e || '', g: !!o.g };
  } catch (e) {
    return null;
  }
}

/**
 * Whether the visitor must be asked (again): no consent, consent to a version
 * older than the last material change, or older than `reprompt_days`.
 * A refusal counts as an answer too (it is not re-asked before then).
 * @param {StoredConsent | null} s
 * @param {{ material_version?: number, reprompt_days?: number }} config
 * @param {number} now epoch ms
 */
export function needsPrompt(s, config, now) {
  const days = config.reprompt_days == null ? 365 : config.reprompt_days;
  return !s || s.v < (config.material_version || 0) || (days > 0 && now - s.t > days * DAY) || s.t > now + DAY;
}

/**
 * @param {string} cookies a `document.cookie` string
 * @param {string} name
 */
export function readCookie(cookies, name) {
  const m = ('; ' + cookies).match(new RegExp('; ' + name + '=([^;]*)'));
  return m ? m[1] : null;
}

/** @param {string[]} ids */
export function loadConsent(ids) {
  return parse(readCookie(document.cookie, COOKIE_NAME), ids);
}

/**
 * @param {StoredConsent} s
 * @param {number} days
 */
export function saveConsent(s, days) {
  document.cookie =
    COOKIE_NAME + '=' + serialize(s) + '; Path=/; SameSite=Lax; Max-Age=' + Math.round(Math.min(days || 365, 400) * 86400) + (location.protocol == 'https:' ? '; Secure' : '');
}

/**
 * Delete first-party cookies by name or `prefix*` on this host and its parent domains.
 * @param {string[]} patterns
 */
export function eraseCookies(patterns) {
  const labels = location.hostname.split('.');
  document.cookie.split(/; */).forEach((kv) => {
    const n = kv.split('=')[0];
    if (n == COOKIE_NAME || !patterns.some((p) => (p.endsWith('*') ? n.startsWith(p.slice(0, -1)) : n == p))) return;
    for (let i = 0; i <= labels.length; i++) {
      document.cookie = n + '=; Path=/; Max-Age=0' + (i < labels.length - 1 ? '; Domain=.' + labels.slice(i).join('.') : '');
    }
  });
}
