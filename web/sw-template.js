// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '__VERSION__';
const FILES = __FILES__;
const CACHE = `chengyun-pages-${VERSION}`;
const SHELL = '/app/';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll([SHELL, ...FILES])).then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('chengyun-pages-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith('/app/')) return;
  if (url.pathname.startsWith('/app/assets/')) {
    // Named by content: what is cached is right for good.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === 'navigate') {
    // The network first (a new build shows at once), the cached shell when there is none.
    event.respondWith(fetch(request).catch(() => caches.match(SHELL)));
  }
});
