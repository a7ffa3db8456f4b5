/**
 * Banner, preference centre, reopen button and embed placeholders, rendered in
 * Shadow DOM with a constructed stylesheet: no inline styles, no inline
 * handlers (one delegated click listener), so a strict CSP works.
 * @module ui
 */
import css from './styles.css';

/** @type {CSSStyleSheet | undefined} */
let sheet;

/**
 * Attach our styles to a shadow root: adoptedStyleSheets where supported,
 * else a <style> carrying the loader script's nonce.
 * @param {ShadowRoot} root
 * @param {string} [nonce]
 */
function adoptStyles(root, nonce) {
  try {
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(css);
    /** @type {any} */ (root).adoptedStyleSheets = [sheet];
  } catch (e) {
    const st = document.createElement('style');
    if (nonce) st.nonce = nonce;
    st.textContent = css;
    root.append(st);
  }
}

/** @param {any} s HTML-escape text for element content and attribute values. */
const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');

const FOCUSABLE = 'a[href],button,input,summary';

// Our own strings, where the site's texts have no key for them.
/** @type {Record<string, string[]>} [session lifetime, placeholder consent note, always allow] */
const OWN = {
  fi: ['selainistunnon ajan', 'Kun näytät sisällön, annat suostumuksen palvelulle {service}.', 'Salli aina: {category}'],
  sv: ['tills webbläsaren stängs', 'När du visar innehållet samtycker du till {service}.', 'Tillåt alltid: {category}'],
  en: ['until the browser closes', 'Showing the content is your consent to {service}.', 'Always allow: {category}'],
};

/**
 * A catalog lifetime ("2 years", "24 hours", "session") in the banner's language.
 * @param {string} s @param {string} lang
 */
export function lifetime(s, lang) {
  const own = OWN[lang] || OWN.en;
  const m = /^(\d+)\s*(minute|hour|day|week|month|year)s?$/i.exec(String(s).trim());
  if (m)
    try {
      return new Intl.NumberFormat(lang, { style: 'unit', unit: m[2].toLowerCase(), unitDisplay: 'long' }).format(+m[1]);
    } catch (e) {
      /* old browser: as written */
    }
  return /^session$/i.test(String(s).trim()) ? own[0] : s;
}

/**
 * @typedef {Object} UIOptions
 * @property {ReturnType<typeof import('./i18n.js').makeT>} t
 * @property {string} lang
 * @property {{id: string, required?: boolean, services?: any[]}[]} categories
 * @property {boolean} gpc
 * @property {() => Record<string, boolean>} current current choices (for toggles)
 * @property {(kind: string, choices?: Record<string, boolean>) => void} onChoice
 * @property {string} [nonce]
 * @property {HTMLButtonElement} reopen the core's reopen button
 * @property {() => void} showReopen
 */

/** @param {UIOptions} o */
export function createUI(o) {
  const { t } = o;
  const host = document.createElement('div');
  host.id = 'consent-service-root';
  const root = host.attachShadow({ mode: 'open' });
  adoptStyles(root, o.nonce);
  const url = t('privacy_notice_url');
  const link = url ? `<p><a href="${esc(url)}">${esc(t('privacy_notice_label'))}</a></p>` : '';
  const gpc = o.gpc ? `<p class="note">${esc(t('gpc_honoured'))}</p>` : '';
  /** @param {string} act @param {string} key */
  const btn = (act, key) => `<button type="button" class="btn" data-action="${act}">${esc(t(key))}</button>`;
  // One order on both layers.
  const three = (/** @type {string} */ last) => btn('accept_all', 'accept_all') + btn('reject_all', 'reject_all') + btn(last, last);
  const own = OWN[o.lang] || OWN.en;

  const cats = o.categories
    .map((c) => {
      const ct = t.category(c.id);
      const id = esc(c.id);
      const control = c.required
        ? `<span class="on">${esc(t('always_on'))}</span>`
        : `<input type="checkbox" data-category="${id}" aria-label="${esc(ct.title)}" aria-describedby="cs-d-${id}">`;
      const services = (c.services || [])
        .map(
          (s) =>
            `<li><strong>${esc(s.name)}</strong>${s.vendor ? ` — ${esc(t('vendor_label'))}: ${esc(s.vendor)}` : ''}` +
            ((s.cookies || []).length
              ? `<br>${esc(t('cookies_label'))}:<ul>${s.cookies.map((/** @type {any} */ k) => `<li><code>${esc(k.name)}</code> — ${esc(t('lifetime_label'))}: ${esc(lifetime(k.lifetime, o.lang))}</li>`).join('')}</ul>`
              : '') +
            '</li>'
        )
        .join('');
      return (
        `<section class="cat" aria-labelledby="cs-h-${id}"><div class="ch"><h3 id="cs-h-${id}">${esc(ct.title)}</h3>${control}</div>` +
        `<p class="cd" id="cs-d-${id}">${esc(ct.description)}</p>` +
        (services ? `<details><summary>${esc(t('services_label'))} (${c.services.length})</summary><ul>${services}</ul></details>` : '') +
        '</section>'
      );
    })
    .join('');

  root.innerHTML =
    `<div class="cs" lang="${esc(o.lang)}">` +
    `<div class="banner" role="dialog" aria-modal="false" aria-labelledby="cs-title" aria-describedby="cs-desc" tabindex="-1" hidden><div class="inner">` +
    `<h2 id="cs-title">${esc(t('title'))}</h2><p id="cs-desc">${esc(t('description'))}</p>${gpc}${link}` +
    `<div class="row">${three('settings')}</div></div></div>` +
    `<div class="overlay" hidden><div class="modal" role="dialog" aria-modal="true" aria-labelledby="cs-ptitle" aria-describedby="cs-pdesc" tabindex="-1">` +
    `<div class="head"><h2 id="cs-ptitle">${esc(t('preferences_title'))}</h2><button type="button" class="x" data-action="close" aria-label="${esc(t('close'))}">×</button></div>` +
    `<div class="body"><p id="cs-pdesc">${esc(t('preferences_description'))}</p>${gpc}<p>${esc(t('withdraw_description'))}</p>${link}${cats}</div>` +
    `<div class="foot">${three('save')}</div></div></div></div>`;

  const $ = (/** @type {string} */ s) => /** @type {HTMLElement} */ (root.querySelector(s));
  const banner = $('.banner');
  const overlay = $('.overlay');
  const modal = $('.modal');
  const reopen = o.reopen;
  /** The banner was showing when the preference centre opened (it comes back on close). */
  let fromBanner = false;
  const toggles = /** @type {HTMLInputElement[]} */ (Array.from(root.querySelectorAll('input[data-category]')));

  /** @type {HTMLElement | null} */
  let opener = null;

  root.addEventListener('click', (e) => {
    const b = /** @type {Element} */ (e.target).closest('[data-action]');
    const act = b && b.getAttribute('data-action');
    if (!act) return;
    if (act == 'settings') openPrefs();
    else if (act == 'close') closePrefs();
    else if (act == 'save') {
      /** @type {Record<string, boolean>} */
      const c = {};
      toggles.forEach((x) => (c[/** @type {string} */ (x.getAttribute('data-category'))] = x.checked));
      o.onChoice('custom', c);
    } else o.onChoice(act);
  });

  /** Deepest focused element, through shadow roots. */
  function deepActive() {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return /** @type {HTMLElement | null} */ (a);
  }
  /** @param {HTMLElement | null} el */
  const visible = (el) => !!el && el.isConnected && el.getClientRects().length > 0;

  /** @param {HTMLElement} [from] element that gets focus back */
  function openPrefs(from) {
    attach();
    const cur = o.current();
    toggles.forEach((x) => (x.checked = !!cur[/** @type {string} */ (x.getAttribute('data-category'))]));
    opener = from || deepActive();
    // Only one layer's buttons at a time.
    fromBanner = fromBanner || !banner.hidden;
    banner.hidden = true;
    overlay.hidden = false;
    modal.focus();
  }

  function closePrefs() {
    overlay.hidden = true;
    banner.hidden = !fromBanner;
    fromBanner = false;
    const back = [opener, banner, reopen].find(visible);
    opener = null;
    if (back) back.focus();
  }

  // Focus trap and Escape. Clicking the backdrop does nothing (rule 6).
  overlay.addEventListener('keydown', (e) => {
    if (e.key == 'Escape') {
      e.preventDefault();
      closePrefs();
    } else if (e.key == 'Tab') {
      const items = /** @type {HTMLElement[]} */ (Array.from(modal.querySelectorAll(FOCUSABLE))).filter(visible);
      const a = root.activeElement;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey ? a == first || a == modal : a == last) {
        e.preventDefault();
        (e.shiftKey ? last : first).focus();
      }
    }
  });

  function attach() {
    if (!host.isConnected) document.body.prepend(host);
  }

  return {
    root,
    showBanner() {
      attach();
      reopen.hidden = true;
      banner.hidden = false;
      fromBanner = false;
      banner.focus({ preventScroll: true });
    },
    /** After a choice (or with valid stored consent): only the reopen button. */
    done() {
      attach();
      const hadFocus = !!root.activeElement;
      const back = opener;
      overlay.hidden = banner.hidden = true;
      fromBanner = false;
      o.showReopen();
      opener = null;
      if (hadFocus) (visible(back) ? /** @type {HTMLElement} */ (back) : reopen).focus();
    },
    openPrefs,
    /**
     * Fill a blocked iframe's placeholder (its own shadow root): what loads,
     * that showing it is a consent to that service, and the category choice.
     * @param {HTMLElement} ph from the core
     * @param {HTMLIFrameElement} iframe
     * @param {string} name service name
     * @param {string} category category title
     * @param {(always: boolean) => void} onLoad
     */
    placeholder(ph, iframe, name, category, onLoad) {
      const px = (/** @type {string|null} */ v) => (v && /^\d+$/.test(v) ? v + 'px' : v || '');
      // CSSOM writes are allowed under a strict CSP (style attributes are not).
      ph.style.display = 'block';
      ph.style.maxWidth = '100%';
      ph.style.width = px(iframe.getAttribute('width')) || '100%';
      ph.style.height = px(iframe.getAttribute('height'));
      const sr = ph.attachShadow({ mode: 'open' });
      adoptStyles(sr, o.nonce);
      const sub = (/** @type {string} */ s) => esc(s.replace(/\{service\}/g, name).replace(/\{category\}/g, category));
      const title = iframe.getAttribute('title');
      sr.innerHTML =
        `<div class="cs embed" lang="${esc(o.lang)}">${title ? `<p><strong>${esc(title)}</strong></p>` : ''}<p>${sub(t('embed_placeholder'))}</p><p>${sub(own[1])}</p>` +
        `<div class="row"><button type="button" class="btn">${esc(t('embed_load'))}</button><button type="button" class="btn alt">${sub(own[2])}</button></div></div>`;
      sr.querySelectorAll('button').forEach((b, i) => b.addEventListener('click', () => onLoad(i == 1)));
    },
  };
}
