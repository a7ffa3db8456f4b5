// Service worker of sw.html: reports the visit to Meta from the worker, not the page.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => {
  event.waitUntil(fetch('https://www.facebook.com/tr?id=1234567890&ev=PageView',
                        { mode: 'no-cors' }).catch(() => {}));
});
