/**
 * Google Consent Mode v2.
 * @module consent-mode
 */

export const SIGNALS = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage', 'functionality_storage', 'personalization_storage'];

/** @returns {(...args: any[]) => void} */
export function ensureGtag() {
  const w = /** @type {any} */ (window);
  w.dataLayer = w.dataLayer || [];
  if (typeof w.gtag !== 'function') {
    // Must push the `arguments` object, as Google's own snippet does.
    w.gtag = function () {
      w.dataLayer.push(arguments);
    };
  }
  return w.gtag;
}

/** The `default` command: everything denied except security storage. */
export function defaultState() {
  /** @type {Record<string, any>} */
  const s = {};
  for (const k of SIGNALS) s[k] = 'denied';
  s.security_storage = 'granted';
  s.wait_for_update = 500;
  return s;
}

/**
 * Map category choices to Consent Mode signals. A signal is granted only if
 * every category that maps to it is accepted.
 * @param {Record<string, boolean>} choices
 * @param {Record<string, string[]>} mapping category → signals
 */
export function updateState(choices, mapping) {
  /** @type {Record<string, string>} */
  const s = {};
  for (const k of SIGNALS) s[k] = 'denied';
  /** @type {Record<string, boolean>} */
  const granted = {};
  for (const cat of Object.keys(mapping || {})) {
    for (const sig of mapping[cat] || []) {
      granted[sig] = (granted[sig] !== false) && !!choices[cat];
    }
  }
  for (const sig of Object.keys(granted)) s[sig] = granted[sig] ? 'granted' : 'denied';
  s.security_storage = 'granted';
  return s;
}
