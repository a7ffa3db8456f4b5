/**
 * consent-service loader entry. Runs synchronously as the first script in
 * <head>: Consent Mode default and blocking are in place before any tag.
 * Reads `window.__consentServiceConfig`, exposes `window.consentService`.
 */
import { readConfig } from './config.js';
import { pickLanguage, makeT } from './i18n.js';
import { loadConsent, saveConsent, needsPrompt, eraseCookies } from './storage.js';
import { ensureGtag, defaultState, updateState } from './consent-mode.js';
import { createBlocker } from './blocking.js';
import { createRecorder } from './recorder.js';
import { createUI } from './ui.js';
import { uuid4 } from './uuid.js';

const w = /** @type {any} */ (window);
if (!w.consentService) {
  const config = readConfig();
  const cs = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  const nonce = (cs && (cs.nonce || cs.getAttribute('data-nonce'))) || '';
  const cats = config.categories;
  const optional = cats.filter((c) => !c.required).map((c) => c.id);
  const gpc = navigator.globalPrivacyControl === true;
  /** @param {Record<string, boolean>} c */
  const mode = (c) => gtag('consent', 'update', updateState(c, config.consent_mode));

  // 1. Consent Mode default, before any Google tag.
  const gtag = ensureGtag();
  gtag('consent', 'default', defaultState());

  // 2. Stored consent: only a still valid one counts.
  let stored = loadConsent(cats.map((c) => c.id));
  if (needsPrompt(stored, config, Date.now())) stored = null;
  /** @param {string} id */
  const allowed = (id) => id == 'necessary' || !!(stored && stored.choices[id]);
  if (stored) mode(stored.choices);

  // 3. Blocking.
  const lang = pickLanguage(document.documentElement.getAttribute('lang'), config.languages, config.texts);
  const t = makeT(config.texts, lang, config.languages[0]);
  const blocker = createBlocker({
    rules: config.blocking,
    allowed,
    placeholder: (iframe, service) => {
      let name = service;
      cats.forEach((c) => (c.services || []).forEach((s) => s.id == service && (name = s.name)));
      return ui().placeholder(iframe, name || new URL(iframe.getAttribute('data-cs-src') || iframe.getAttribute('data-src') || '', location.href).hostname, () => blocker.activate(iframe));
    },
  });
  blocker.scanDocument();

  // 4. Recording.
  const recorder = createRecorder((eventId, receipt) => {
    if (stored && stored.e == eventId) {
      stored.r = receipt;
      saveConsent(stored, config.reprompt_days);
    }
  });

  /** @type {Function[]} */
  const listeners = [];

  /**
   * A choice from the banner or the preference centre.
   * GPC: "Accept all" grants every category except marketing (an explicit
   * marketing toggle in the preference centre still counts).
   * @param {string} kind accept_all | reject_all | custom
   * @param {Record<string, boolean>} [custom]
   */
  function choose(kind, custom) {
    /** @type {Record<string, boolean>} */
    const choices = {};
    cats.forEach(({ id, required }) => {
      choices[id] = !!required || (kind == 'accept_all' ? !(gpc && id == 'marketing') : kind == 'custom' && !!custom && !!custom[id]);
    });
    const prev = stored ? stored.choices : {};
    const off = optional.filter((id) => prev[id] && !choices[id]);
    const action = off.length ? 'withdraw' : kind;
    const event = {
      event_id: uuid4(),
      policy_version: config.policy_version,
      action,
      choices,
      language: lang,
      banner_hash: config.banner_hashes[lang] || '',
      page_url: location.origin + location.pathname,
      gpc,
    };
    stored = { v: config.policy_version, choices, t: Date.now(), r: null, e: event.event_id, g: gpc };
    saveConsent(stored, config.reprompt_days);
    mode(choices);
    // First-party cookies of the categories switched off go too.
    /** @type {string[]} */
    const names = [];
    cats.forEach((c) => off.includes(c.id) && (c.services || []).forEach((s) => (s.cookies || []).forEach((/** @type {any} */ k) => names.push(k.name))));
    eraseCookies(names);
    ui().done();
    blocker.activate();
    recorder.record(config.api_base + '/sites/' + encodeURIComponent(config.site_key) + '/consents', event);
    const detail = { action, choices: { ...choices }, gpc, policy_version: config.policy_version, event_id: event.event_id };
    listeners.forEach((fn) => fn(detail));
    w.dispatchEvent(new CustomEvent('consent:changed', { detail }));
  }

  /** @type {ReturnType<typeof createUI> | undefined} */
  let theUI;
  const ui = () =>
    (theUI =
      theUI ||
      createUI({ t, lang, categories: cats, gpc, nonce, current: () => (stored ? stored.choices : {}), onChoice: choose }));

  /** @param {() => void} fn */
  const onReady = (fn) => (document.body ? fn() : document.addEventListener('DOMContentLoaded', fn));

  // 5. Public API.
  w.consentService = {
    /** Open the preference centre. */
    open: () => onReady(() => ui().openPrefs()),
    /** The valid stored consent, or null. */
    getConsent: () =>
      stored && {
        policy_version: stored.v,
        choices: { ...stored.choices },
        timestamp: new Date(stored.t).toISOString(),
        receipt_id: stored.r,
        event_id: stored.e,
        gpc: stored.g,
      },
    acceptedCategory: allowed,
    /** @param {string} name only 'consent:changed' @param {Function} fn */
    on: (name, fn) => name == 'consent:changed' && listeners.push(fn),
    language: lang,
  };

  // 6. UI once the body exists; reopen links by delegation.
  document.addEventListener('click', (e) => {
    const el = /** @type {any} */ (e.target).closest && /** @type {Element} */ (e.target).closest('[data-consent-open]');
    if (el) {
      e.preventDefault();
      ui().openPrefs(el);
    }
  });
  onReady(() => {
    if (stored) {
      ui().done();
      blocker.activate();
    } else ui().showBanner();
    recorder.flush(true);
  });
}
