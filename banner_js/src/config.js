/**
 * Reading the loader config that the server inlines before the bundle as
 * `window.__consentServiceConfig` (see docs/interfaces.md).
 * @module config
 */

/**
 * @typedef {Object} LoaderConfig
 * @property {string} site_key
 * @property {string} api_base
 * @property {number} policy_version
 * @property {string} [policy_hash]
 * @property {number} material_version
 * @property {string[]} languages
 * @property {number} reprompt_days
 * @property {{id: string, required?: boolean, services?: any[]}[]} categories
 * @property {Record<string, any>} texts
 * @property {Record<string, string>} banner_hashes
 * @property {import('./patterns.js').BlockingRule[]} blocking
 * @property {Record<string, string[]>} consent_mode
 */

export const CATEGORY_ORDER = ['necessary', 'preferences', 'analytics', 'marketing'];

/**
 * Fill defaults. Never throws: with a broken config every optional category
 * stays denied and everything in `blocking` stays blocked.
 * @param {any} raw
 * @returns {LoaderConfig}
 */
export function normalizeConfig(raw) {
  const c = Object.assign({ texts: {}, banner_hashes: {}, blocking: [], consent_mode: {}, reprompt_days: 365, categories: [] }, raw);
  const cats = c.categories.filter((/** @type {any} */ x) => x.id != 'necessary');
  const nec = c.categories.find((/** @type {any} */ x) => x.id == 'necessary') || { id: 'necessary', services: [] };
  nec.required = true;
  c.categories = [nec].concat(cats);
  if (!(c.languages && c.languages.length)) c.languages = Object.keys(c.texts).concat('en');
  c.api_base = String(c.api_base || '').replace(/\/+$/, '');
  return c;
}

/** @returns {LoaderConfig} */
export function readConfig() {
  return normalizeConfig(/** @type {any} */ (window).__consentServiceConfig);
}
