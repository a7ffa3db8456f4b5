/**
 * The UI script: banner, preference centre, placeholders and the recorder.
 * Loaded by the core (async, never render-blocking) with the texts of one
 * language prepended as `window.__consentServiceTexts`; registers itself with
 * the core, which calls it with its state.
 */
import { normalizeConfig } from './config.js';
import { makeT } from './i18n.js';
import { saveConsent, eraseCookies } from './storage.js';
import { createRecorder } from './recorder.js';
import { createUI } from './ui.js';
import { uuid4 } from './uuid.js';

const w = /** @type {any} */ (window);

/** @param {any} core */
function factory(core) {
  const config = normalizeConfig(Object.assign({}, core.config, w.__consentServiceTexts));
  const { lang, gpc, blocker } = core;
  const cats = config.categories;
  const optional = cats.filter((c) => !c.required).map((c) => c.id);
  const t = makeT(config.texts, lang, config.languages[0]);
  const endpoint = config.api_base + '/sites/' + encodeURIComponent(config.site_key) + '/consents';

  const recorder = createRecorder((eventId, receipt) => {
    const s = core.stored;
    if (s && s.e == eventId) {
      s.r = receipt;
      saveConsent(s, config.reprompt_days);
    }
  });

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
    const prev = core.stored ? core.stored.choices : {};
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
    core.stored = { v: config.policy_version, choices, t: Date.now(), r: null, e: event.event_id, g: gpc };
    saveConsent(core.stored, config.reprompt_days);
    core.mode(choices);
    // First-party cookies of the categories switched off go too.
    /** @type {string[]} */
    const names = [];
    cats.forEach((c) => off.includes(c.id) && (c.services || []).forEach((s) => (s.cookies || []).forEach((/** @type {any} */ k) => names.push(k.name))));
    eraseCookies(names);
    view.done();
    blocker.activate();
    recorder.record(endpoint, event);
    const detail = { action, choices: { ...choices }, gpc, policy_version: config.policy_version, event_id: event.event_id };
    core.listeners.forEach((/** @type {Function} */ fn) => fn(detail));
    w.dispatchEvent(new CustomEvent('consent:changed', { detail }));
  }

  const view = createUI({
    t,
    lang,
    categories: cats,
    gpc,
    nonce: core.nonce,
    reopen: core.reopen,
    showReopen: core.showReopen,
    current: () => (core.stored ? core.stored.choices : {}),
    onChoice: choose,
  });
  recorder.flush(true);

  return {
    showBanner: view.showBanner,
    openPrefs: view.openPrefs,
    flush: () => recorder.flush(true),
    /**
     * Fill a placeholder. "Show content" loads this one embed for this page
     * view; "always allow" is the category choice.
     * @param {HTMLElement} ph @param {HTMLIFrameElement} iframe @param {string} service id
     */
    placeholder(ph, iframe, service) {
      const cat = iframe.getAttribute('data-category') || 'marketing';
      let name = '';
      cats.forEach((c) => (c.services || []).forEach((s) => s.id == service && (name = s.name)));
      if (!name) {
        try {
          name = new URL(iframe.getAttribute('data-cs-src') || iframe.getAttribute('data-src') || '', location.href).hostname;
        } catch (e) {
          name = service;
        }
      }
      view.placeholder(ph, iframe, name, t.category(cat).title, (/** @type {boolean} */ always) => {
        if (always) {
          /** @type {Record<string, boolean>} */
          const c = {};
          cats.forEach((x) => (c[x.id] = core.allowed(x.id) || x.id == cat));
          return choose('custom', c);
        }
        blocker.activate(iframe);
        // The click is a consent to this one service: recorded, not stored.
        recorder.record(endpoint, {
          event_id: uuid4(),
          policy_version: config.policy_version,
          action: 'embed',
          service: service || name,
          choices: Object.fromEntries(cats.map((x) => [x.id, core.allowed(x.id)])),
          language: lang,
          banner_hash: config.banner_hashes[lang] || '',
          page_url: location.origin + location.pathname,
          gpc,
        });
      });
    },
  };
}

if (w.__csReady) w.__csReady(factory);
else w.__csUI = factory;
