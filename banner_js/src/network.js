/**
 * Network calls to blocked hosts before consent: fetch, XMLHttpRequest,
 * sendBeacon, WebSocket and EventSource are refused the way a network error
 * looks to page code (rejected promise, XHR `error`, `false`, `error` +
 * CLOSED). Nothing is queued or replayed after consent. Requests made inside
 * a Worker or ServiceWorker are out of a page script's reach.
 * @module network
 */

/** @param {(url: string) => any} blocked URL → blocking rule or null */
export function patchNetwork(blocked) {
  const w = /** @type {any} */ (window);
  /** @param {any} u */
  const no = (u) => {
    try {
      return !!blocked(String(u && u.url != null ? u.url : u).replace(/^ws(s?):/i, 'http$1:'));
    } catch (e) {
      return false;
    }
  };
  /** Fire events after the caller's code has attached its handlers. @param {any} t @param {string[]} names */
  const fire = (t, names) =>
    setTimeout(() =>
      names.forEach((n) => {
        const ev = n == 'close' ? new CloseEvent(n, { code: 1006 }) : new Event(n);
        t.dispatchEvent(ev);
        if (!(t instanceof XMLHttpRequest) && typeof t['on' + n] == 'function') t['on' + n](ev);
      })
    );

  const f = w.fetch;
  if (f) w.fetch = function (/** @type {any} */ input) {
    return no(input) ? Promise.reject(new TypeError('Failed to fetch')) : f.apply(this, arguments);
  };

  const N = w.Navigator && Navigator.prototype;
  const beacon = N && N.sendBeacon;
  if (beacon) N.sendBeacon = function (/** @type {any} */ u) {
    return !no(u) && beacon.apply(this, arguments);
  };

  const X = XMLHttpRequest.prototype;
  const open = X.open;
  const send = X.send;
  /** @type {WeakMap<XMLHttpRequest, boolean>} refused, async */
  const xs = new WeakMap();
  X.open = function (/** @type {any} */ m, /** @type {any} */ u, /** @type {any} */ a) {
    if (no(u)) xs.set(this, a !== false);
    else xs.delete(this);
    return open.apply(this, arguments);
  };
  X.send = function () {
    const a = xs.get(this);
    if (a == null) return send.apply(this, arguments);
    if (!a) throw new DOMException('Failed to execute send', 'NetworkError');
    Object.defineProperty(this, 'readyState', { value: 4, configurable: true });
    fire(this, ['readystatechange', 'error', 'loadend']);
  };

  /**
   * A constructor that yields a failed connection for blocked URLs: an
   * EventTarget with the class's prototype, CLOSED, error (+ close) fired.
   * @param {string} name @param {string[]} events @param {number} closed
   */
  const wrap = (name, events, closed) => {
    const C = w[name];
    if (!C) return;
    const W = function (/** @type {any} */ u) {
      if (!new.target) return C.apply(this, arguments);
      if (!no(u)) return Reflect.construct(C, arguments, new.target);
      const t = Object.setPrototypeOf(new EventTarget(), new.target.prototype);
      // Own properties over the class's accessors (those would throw on this object);
      // send on a CLOSED socket is a no-op.
      const p = /** @type {any} */ ({ url: String(u), readyState: closed, onopen: null, onmessage: null, onerror: null, onclose: null, protocol: '', extensions: '', bufferedAmount: 0, binaryType: 'blob', withCredentials: false, send() {}, close() {} });
      for (const k in p) Object.defineProperty(t, k, { value: p[k], writable: k[0] != 'u' && k[0] != 'r' });
      fire(t, events);
      return t;
    };
    W.prototype = C.prototype;
    Object.setPrototypeOf(W, C);
    w[name] = W;
  };
  wrap('WebSocket', ['error', 'close'], 3);
  wrap('EventSource', ['error'], 2);
}
