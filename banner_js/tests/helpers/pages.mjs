// Test pages. Each gets { lang, loaderSrc }; the loader is the first script in <head>.
// loaderInline: the core script itself, inlined in the HTML (no blocking fetch).
const head = ({ lang, loaderSrc, loaderInline }, title, extra = '') =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<title>${title}</title>${loaderInline ? `<script nonce="t3st">__t0=performance.now()</script><script nonce="t3st">${loaderInline.replace(/<\/script/gi, '<\\/script')}</script><script nonce="t3st">__t1=performance.now()</script>` : loaderSrc ? `<script src="${loaderSrc}" data-nonce="t3st" nonce="t3st"></script>` : ''}${extra}</head>`;

const body = (inner) =>
  `<body><header><p>Esimerkki Oy</p></header><main><h1>Testisivu</h1>` +
  `<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>` +
  `${inner}</main><footer><p><a href="#" data-consent-open>Evästeasetukset</a></p></footer></body></html>`;

export const pages = {
  // A typical site: opt-in markup, the GA snippet, a plugin-inserted Meta pixel.
  site: (o) =>
    head(
      o,
      'Site',
      `<script type="text/plain" data-category="analytics" src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>` +
        `<script type="text/plain" data-category="analytics" nonce="t3st">window.__inlineAnalytics = (window.__inlineAnalytics || 0) + 1;</script>` +
        `<script nonce="t3st">window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);} gtag('js', new Date()); gtag('config', 'G-TEST');</script>` +
        // Meta pixel base code as a plugin prints it (no data-category): it creates the script itself.
        `<script nonce="t3st">!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,document,'script','https://connect.facebook.net/en_US/fbevents.js');fbq('init','123');fbq('track','PageView');</script>`
    ) +
    body(
      `<p><button type="button" id="page-settings" data-consent-open>Cookie settings</button></p><div id="slot"></div>` +
        `<script nonce="t3st">
window.insertViaCreateElement = function () { var s = document.createElement('script'); s.async = true; s.src = 'https://www.googletagmanager.com/gtm.js?id=GTM-TEST'; var f = document.getElementsByTagName('script')[0]; f.parentNode.insertBefore(s, f); };
window.insertViaAppend = function () { var s = document.createElement('script'); s.setAttribute('src', 'https://connect.facebook.net/signals/config/123'); document.body.appendChild(s); };
window.insertViaInnerHTML = function () { document.getElementById('slot').innerHTML = '<img alt="" width="1" height="1" src="https://www.facebook.com/tr?id=1&ev=Inner"><iframe title="Video" width="560" height="315" src="https://www.youtube.com/embed/inner"></iframe>'; };
window.insertViaFragment = function () { var r = document.createRange(); r.selectNode(document.body); document.body.appendChild(r.createContextualFragment('<script src="https://www.google-analytics.com/analytics.js"><\\/script>')); };
window.insertPixel = function () { var i = new Image(); i.src = 'https://www.facebook.com/tr?id=1&ev=Img'; };
</script>`
    ),
  // Static auto-blocked tags in the HTML (what a theme prints without data-category).
  static: (o) =>
    head(o, 'Static', `<script async src="https://www.googletagmanager.com/gtag/js?id=G-STATIC"></script><script src="https://connect.facebook.net/en_US/fbevents.js"></script>`) +
    body(`<img alt="" width="1" height="1" src="https://www.facebook.com/tr?id=1&ev=Static">`),
  // Embeds.
  embed: (o) =>
    head(o, 'Embeds') +
    body(
      `<iframe id="yt" title="Esittelyvideo" width="560" height="315" src="https://www.youtube-nocookie.com/embed/xyz"></iframe>` +
        `<iframe id="vimeo" title="Vimeo" width="400" height="225" data-category="marketing" data-src="https://player.vimeo.com/video/1"></iframe>` +
        `<iframe id="local" title="Local" width="200" height="100" src="/blank"></iframe>`
    ),
  // Page code sending to a tracker host with every network API (issue 23); it records
  // what it saw and anything uncaught.
  network: (o) =>
    head(o, 'Network', `<script nonce="t3st">window.__uncaught = []; addEventListener('error', (e) => __uncaught.push(String(e.message))); addEventListener('unhandledrejection', (e) => __uncaught.push('rejection: ' + e.reason));</script>`) +
    body(`<script nonce="t3st">
window.sendAll = function (host) {
  var out = {}, base = 'https://' + host;
  var done = new Promise(function (resolve) {
    var n = 0, fin = function () { if (++n === 4) resolve(out); };
    fetch(base + '/g/collect?v=2&en=page_view', { method: 'POST', body: 'x', mode: 'no-cors', keepalive: true }).then(function () { out.fetch = 'ok'; }, function (e) { out.fetch = e.name + ': ' + e.message; }).then(fin);
    out.beacon = navigator.sendBeacon(base + '/g/collect?v=2&en=beacon', 'x');
    var x = new XMLHttpRequest();
    x.open('POST', base + '/g/collect?v=2&en=xhr');
    x.onerror = function () { out.xhr = 'error ' + x.readyState + ' ' + x.status; fin(); };
    x.onload = function () { out.xhr = 'load ' + x.status; fin(); };
    x.send('x');
    var ws = new WebSocket('wss://' + host + '/ws');
    ws.onerror = function () { out.ws = 'error ' + ws.readyState; };
    ws.onclose = function (e) { out.ws += ' close ' + e.code; fin(); };
    ws.onopen = function () { out.ws = 'open'; ws.close(); };
    var es = new EventSource(base + '/events');
    es.onerror = function () { out.es = 'error ' + es.readyState; es.close(); fin(); };
    var l = document.createElement('link');
    l.href = 'https://connect.facebook.net/en_US/fbevents.js'; l.rel = 'preload'; l.as = 'script';
    document.head.appendChild(l);
    var m = document.createElement('link');
    m.rel = 'prefetch'; document.head.appendChild(m); m.href = 'https://connect.facebook.net/signals/config/1';
  });
  return Promise.race([done, new Promise(function (r) { setTimeout(function () { r(out); }, 3000); })]);
};
</script>`),
  // Minimal page for UI tests.
  plain: (o) => head(o, 'Plain') + body('<p><a href="#top">Linkki</a></p>'),
};
