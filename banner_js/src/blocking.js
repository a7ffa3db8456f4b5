/**
 * Prior blocking of scripts, pixels and iframes until consent.
 *
 * 1. Opt-in markup: `<script type="text/plain" data-category="analytics">`,
 *    `<iframe data-category="marketing" data-src="...">`, `<img data-category data-src>`.
 * 2. Automatic blocking of the `config.blocking` host patterns:
 *    - a MutationObserver turns parser-inserted matching scripts into
 *      `type="text/plain"` before they run (plus `beforescriptexecute` where it exists);
 *    - patched `src`/`type` setters, `setAttribute`, DOM insertion methods and
 *      HTML string sinks (innerHTML, insertAdjacentHTML, createContextualFragment,
 *      document.write) neutralise dynamically created elements before any request.
 * 3. Blocked iframes (and YouTube/Vimeo/Maps embeds) become placeholders.
 * @module blocking
 */
import { compileRules, matchUrl } from './patterns.js';
import { patchNetwork } from './network.js';

const BLOCKED = 'data-cs-blocked';
const CAT = 'data-category';
const SRC = 'data-cs-src';
const TYPE = 'data-cs-type';
const OK = 'data-cs-ok'; // released by the visitor ("load this content")
// Resource hints that fetch at once (a blocked one is dropped, not replayed).
const HINT = /\b(pre(load|fetch|connect|render)|modulepreload|dns-prefetch)\b/i;

/**
 * @typedef {Object} BlockerOptions
 * @property {import('./patterns.js').BlockingRule[]} rules
 * @property {(category: string) => boolean} allowed live consent check
 * @property {(iframe: HTMLIFrameElement, service: string) => HTMLElement} placeholder
 */

/** @param {BlockerOptions} opts */
export function createBlocker(opts) {
  const rules = compileRules(opts.rules);
  const doc = document;
  const EP = Element.prototype;
  const setAttr = EP.setAttribute;
  const getAttr = EP.getAttribute;
  const inner = /** @type {any} */ (Object.getOwnPropertyDescriptor(EP, 'innerHTML'));
  /** @type {HTMLElement[]} */
  const placeholders = [];

  /** @param {Element} el @param {string} a */
  const get = (el, a) => getAttr.call(el, a);
  /** @param {Element} el @param {string} a @param {string} v */
  const set = (el, a, v) => setAttr.call(el, a, v);

  /**
   * The rule blocking this URL right now, or null.
   * @param {string | null} url
   */
  function blockedBy(url) {
    const r = matchUrl(rules, url, doc.baseURI);
    return r && r.category != 'necessary' && !opts.allowed(r.category) ? r : null;
  }

  /** Script types a browser would run. @param {string | null} t */
  const runnable = (t) => !t || /script$|^module$/i.test(t.trim());

  /**
   * Mark an element blocked; for scripts switch the type to text/plain.
   * @param {Element} el
   * @param {import('./patterns.js').CompiledRule} r
   */
  function mark(el, r) {
    if (el.tagName == 'SCRIPT') {
      const t = get(el, 'type');
      if (t) set(el, TYPE, t);
      set(el, 'type', 'text/plain');
    }
    set(el, BLOCKED, '1');
    set(el, CAT, r.category);
    set(el, 'data-cs-service', r.service);
  }

  /**
   * Called for every attribute write (setter, setAttribute) and for every
   * element found in inserted or parsed markup. Returns true when the write
   * must not happen (the URL was parked in data-cs-src instead).
   * @param {Element} el
   * @param {string} name
   * @param {any} value
   */
  function intercept(el, name, value) {
    const tag = el.tagName;
    name = String(name).toLowerCase();
    if (tag == 'SCRIPT') {
      if (name == 'type' && get(el, BLOCKED)) {
        set(el, TYPE, value);
        return true;
      }
      const r = name == 'src' && runnable(get(el, 'type')) && blockedBy(value);
      if (r) mark(el, r);
    } else if (((tag == 'IMG' || tag == 'IFRAME') && name == 'src') || (tag == 'LINK' && name == 'href' && HINT.test(get(el, 'rel') || ''))) {
      const r = blockedBy(value);
      if (r) {
        set(el, SRC, value);
        mark(el, r);
        return true;
      }
    }
    return false;
  }

  /** Neutralise an element that already carries its src. @param {Element} el */
  function neutralize(el) {
    const a = el.tagName == 'LINK' ? 'href' : 'src';
    const src = get(el, a);
    if (src == null || get(el, BLOCKED) || get(el, OK)) return false;
    if (el.tagName == 'SCRIPT') return intercept(el, 'src', src) && !!get(el, BLOCKED);
    if (intercept(el, a, src)) {
      el.removeAttribute(a);
      return true;
    }
    return false;
  }

  /** @param {any} node */
  function scan(node) {
    if (node && node.querySelectorAll) {
      if (node.nodeType == 1) neutralize(node);
      node.querySelectorAll('script,img,iframe,link').forEach(neutralize);
    }
  }

  /** Replace pending iframes in an inserted subtree by placeholders. @param {any} node */
  function placehold(node) {
    if (!node || node.nodeType != 1) return;
    (node.tagName == 'IFRAME' ? [node] : Array.from(node.querySelectorAll('iframe'))).forEach((f) => {
      const cat = get(f, CAT);
      if (cat && !opts.allowed(cat) && !get(f, 'src') && (get(f, SRC) || get(f, 'data-src')) && f.parentNode) {
        // Opt-in markup (data-src) names no service: the catalog's rule for the URL does.
        const ph = opts.placeholder(f, get(f, 'data-cs-service') || (matchUrl(rules, get(f, 'data-src'), doc.baseURI) || { service: '' }).service);
        /** @type {any} */ (ph)._iframe = f;
        placeholders.push(ph);
        f.parentNode.replaceChild(ph, f);
      }
    });
  }

  /** Rewrite an HTML string so that blocked elements arrive inert. @param {any} html */
  function rewrite(html) {
    const low = String(html).toLowerCase();
    if (typeof html != 'string' || !rules.some((r) => r.patterns.some((p) => low.includes(p.host)))) return html;
    const tpl = doc.createElement('template');
    inner.set.call(tpl, html);
    scan(tpl.content);
    return inner.get.call(tpl);
  }

  // Parser-inserted elements: the observer runs at the microtask checkpoint
  // before a parser-inserted script is prepared, so the type change wins.
  new MutationObserver((records) =>
    records.forEach((r) =>
      r.addedNodes.forEach((n) => {
        scan(n);
        placehold(n);
      })
    )
  ).observe(doc.documentElement, { childList: true, subtree: true });

  /** @param {Function} cls @param {string} prop @param {(el: any, v: any) => boolean} fn */
  function patchSetter(cls, prop, fn) {
    const proto = cls && cls.prototype;
    const d = proto && Object.getOwnPropertyDescriptor(proto, prop);
    if (d && d.set)
      Object.defineProperty(proto, prop, {
        configurable: true,
        get: d.get,
        set(v) {
          fn(this, v) || d.set.call(this, v);
        },
      });
  }
  const w = /** @type {any} */ (window);
  patchNetwork(blockedBy);
  patchSetter(w.HTMLScriptElement, 'src', (el, v) => intercept(el, 'src', v));
  patchSetter(w.HTMLScriptElement, 'type', (el, v) => intercept(el, 'type', v));
  patchSetter(w.HTMLImageElement, 'src', (el, v) => intercept(el, 'src', v));
  patchSetter(w.HTMLIFrameElement, 'src', (el, v) => intercept(el, 'src', v));
  patchSetter(w.HTMLLinkElement, 'href', (el, v) => intercept(el, 'href', v));
  patchSetter(w.Element, 'innerHTML', (el, v) => inner.set.call(el, rewrite(v)) || true);
  EP.setAttribute = function (name, value) {
    intercept(this, name, value) || setAttr.call(this, name, value);
  };

  // Insertion methods: neutralise before, placeholders after.
  /** @param {any} proto @param {string[]} names */
  const patchInsert = (proto, names) =>
    names.forEach((name) => {
      const orig = proto[name];
      proto[name] = function (/** @type {any[]} */ ...args) {
        args.forEach(scan);
        const res = orig.apply(this, args);
        args.forEach(placehold);
        return res;
      };
    });
  patchInsert(Node.prototype, ['appendChild', 'insertBefore', 'replaceChild']);
  patchInsert(EP, ['append', 'prepend', 'before', 'after', 'replaceWith']);

  // HTML string sinks.
  /** @param {any} obj @param {string} name @param {number} i index of the HTML argument */
  const patchHtml = (obj, name, i) => {
    const orig = obj[name];
    obj[name] = function (/** @type {any[]} */ ...args) {
      args[i] = rewrite(i < 0 ? args.join('') : args[i]);
      return orig.apply(this, i < 0 ? [args[i]] : args);
    };
  };
  patchHtml(EP, 'insertAdjacentHTML', 1);
  patchHtml(Range.prototype, 'createContextualFragment', 0);
  patchHtml(doc, 'write', -1);

  /** @param {Element} el */
  function restore(el) {
    const src = get(el, SRC) || get(el, 'data-src');
    el.removeAttribute(SRC);
    el.removeAttribute(BLOCKED);
    set(el, OK, '1');
    if (src && !get(el, 'src')) set(el, 'src', src);
  }

  return {
    /** Handle markup that was already in the document when the loader ran. */
    scanDocument() {
      scan(doc.documentElement);
      placehold(doc.documentElement);
    },
    /**
     * Activate everything whose category is now allowed, in document order;
     * external non-async scripts run one after another, as the parser would.
     * @param {HTMLIFrameElement} [only] one embed ("load this content")
     */
    async activate(only) {
      placeholders.slice().forEach((ph) => {
        const f = /** @type {any} */ (ph)._iframe;
        if (only ? f == only : opts.allowed(get(f, CAT))) {
          placeholders.splice(placeholders.indexOf(ph), 1);
          restore(f);
          if (ph.parentNode) ph.parentNode.replaceChild(f, ph);
        }
      });
      if (only) return;
      doc.querySelectorAll('img[data-category],iframe[data-category]').forEach((el) => opts.allowed(get(el, CAT)) && restore(el));
      for (const old of Array.from(doc.querySelectorAll('script[type="text/plain"][data-category]'))) {
        if (!opts.allowed(get(old, CAT)) || !old.parentNode) continue;
        const s = /** @type {HTMLScriptElement} */ (doc.createElement('script'));
        for (const a of Array.from(old.attributes)) if (!/^(type|data-cs-type|data-cs-blocked)$/.test(a.name)) set(s, a.name, a.value);
        const t = get(old, TYPE);
        if (t) set(s, 'type', t);
        s.nonce = /** @type {HTMLScriptElement} */ (old).nonce;
        /** @type {Promise<unknown> | 0} */
        let wait = 0;
        if (!get(old, 'src')) s.text = /** @type {HTMLScriptElement} */ (old).text;
        else if (get(old, 'async') == null) {
          s.async = false;
          wait = new Promise((res) => (s.onload = s.onerror = res));
        }
        old.parentNode.replaceChild(s, old);
        await wait;
      }
    },
  };
}
