/**
 * The blocking core: runs synchronously as the first script in <head>, with
 * its config inlined (`window.__consentServiceConfig`). Consent Mode default,
 * the stored consent, the blockers and the public API; the UI script (banner,
 * preference centre, texts of one language, recorder) is fetched only when
 * the banner must show, the visitor opens the settings, an embed needs a
 * placeholder or an unsent consent event waits in the outbox.
 */

import { pickLanguage } from './i18n.js';
import { loadConsent, needsPrompt } from './storage.js';
import { ensureGtag, defaultState, updateState } from './consent-mode.js';
import { createBlocker } from './blocking.js';
import { QUEUE_KEY } from './queue.js';

const w = /** @type {any} */ (window);
if (!w.consentService) {
  // As the server wrote it (necessary first); a broken config leaves everything denied.
  const config = Object.assign({ blocking: [], categories: [], languages: [], consent_mode: {} }, w.__consentServiceConfig);
  const doc = document;
  const cs = /** @type {HTMLScriptElement | null} */ (doc.currentScript);
  const nonce = (cs && (cs.nonce || cs.getAttribute('data-nonce'))) || '';
  const cats = config.categories;
  /** @param {Record<string, boolean>} c */
  const mode = (c) => gtag('consent', 'update', updateState(c, config.consent_mode));

  // 1. Consent Mode default, before any Google tag.
  const gtag = ensureGtag();
  gtag('consent', 'default', defaultState());

  // 2. Stored consent: only a still valid one counts.
  /** @type {any} */
  let stored = loadConsent(cats.map((c) => c.id));
  if (needsPrompt(stored, config, Date.now())) stored = null;
  /** @param {string} id */
  const allowed = (id) => id == 'necessary' || !!(stored && stored.choices[id]);
  if (stored) mode(stored.choices);
  const lang = pickLanguage(doc.documentElement.getAttribute('lang'), config.languages, config.ui ? null : config.texts);

  /** @type {any} */
  let ui;
  /** @type {Function[]} */
  const waiting = [];
  /** Run fn with the UI, fetching the UI script the first time. @param {(ui: any) => void} fn */
  const withUI = (fn) => {
    if (ui) return fn(ui);
    if (waiting.push(fn) > 1) return;
    if (w.__csUI) return start(w.__csUI);
    w.__csReady = start;
    const s = doc.createElement('script');
    s.src = String(config.ui).replace('{lang}', lang);
    if (nonce) s.nonce = nonce;
    // After the first paint, so the UI never delays it.
    requestAnimationFrame(() => setTimeout(() => doc.head.append(s)));
  };
  /** @param {Function} factory */
  function start(factory) {
    ui = ui || factory(core);
    waiting.splice(0).forEach((fn) => fn(ui));
  }

  // 3. Blocking.
  const blocker = createBlocker({
    rules: config.blocking,
    allowed,
    placeholder: (iframe, service) => {
      const ph = doc.createElement('div');
      ph.setAttribute('data-consent-placeholder', '');
      withUI((u) => u.placeholder(ph, iframe, service));
      return ph;
    },
  });
  blocker.scanDocument();

  // The reopen button is ours, so a returning visitor can withdraw without the UI loaded.
  const host = doc.createElement('div');
  host.id = 'consent-service-reopen';
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = '<button type="button" data-action="reopen" hidden></button>';
  const reopen = /** @type {HTMLButtonElement} */ (root.firstChild);
  reopen.textContent = (config.reopen || {})[lang] || '⚙';
  const css = 'button{position:fixed;z-index:2147483645;left:12px;bottom:12px;min-height:44px;padding:8px 14px;border:2px solid;border-radius:22px;background:#fff;color:#1d4f91;font:600 14px system-ui,sans-serif;cursor:pointer}:focus-visible{outline:3px solid;outline-offset:2px}[hidden]{display:none}';
  try {
    const sh = new CSSStyleSheet();
    sh.replaceSync(css);
    /** @type {any} */ (root).adoptedStyleSheets = [sh];
  } catch (e) {
    const st = doc.createElement('style');
    st.nonce = nonce;
    st.textContent = css;
    root.append(st);
  }

  /** @type {Function[]} */
  const listeners = [];
  /** @param {Element} [from] */
  const open = (from) => onReady(() => withUI((u) => u.openPrefs(from)));
  reopen.onclick = () => open(reopen);

  const core = {
    config,
    lang,
    nonce,
    gpc: navigator.globalPrivacyControl === true,
    allowed,
    blocker,
    listeners,
    reopen,
    mode,
    get stored() {
      return stored;
    },
    set stored(v) {
      stored = v;
    },
    showReopen() {
      if (!host.isConnected) doc.body.append(host);
      reopen.hidden = false;
    },
  };

  /** @param {() => void} fn */
  const onReady = (fn) => (doc.body ? fn() : doc.addEventListener('DOMContentLoaded', fn));

  // 4. Public API.
  w.consentService = {
    /** Open the preference centre. */
    open: () => open(),
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

  // 5. Banner once the body exists; reopen links by delegation.
  doc.addEventListener('click', (e) => {
    const el = /** @type {any} */ (e.target).closest && /** @type {Element} */ (e.target).closest('[data-consent-open]');
    if (el) {
      e.preventDefault();
      open(el);
    }
  });
  onReady(() => {
    let queued = null;
    try {
      queued = localStorage.getItem(QUEUE_KEY);
    } catch (e) {
      /* storage blocked */
    }
    if (stored) {
      core.showReopen();
      blocker.activate();
      if (queued) withUI((u) => u.flush());
    } else withUI((u) => u.showBanner());
  });
}
