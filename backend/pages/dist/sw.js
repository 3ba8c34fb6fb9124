// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '7ee4b6776784d9fa';
const FILES = ["/app/assets/AppShell-B7Zk4j0K.css","/app/assets/AppShell-DeOqpgBJ.js","/app/assets/LoginPage-By9xikxS.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DeMrrsyI.css","/app/assets/MePage-dhAGa8Oa.js","/app/assets/NotificationsPage-Bi3TBl2w.js","/app/assets/NotificationsPage-zZ6E51_0.css","/app/assets/PinMap-DELNJnit.css","/app/assets/PinMap-oQbgCT4a.js","/app/assets/ReportPage-CBDWH6dg.js","/app/assets/ReportPage-CIJ9r3gl.css","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/TasksPage-CR0tUq9K.js","/app/assets/cell-B77SD3mv.js","/app/assets/cell-DVr_ldIy.css","/app/assets/client-CogPHdZk.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-D7-RLXhu.js","/app/assets/index-0JoHCSoG.css","/app/assets/index-CMH8IQnu.js","/app/assets/labels-CR9HFM7X.js","/app/assets/now-B0vuEwG5.css","/app/assets/now-WmKyGhFo.js","/app/assets/online-DvQYa74t.js","/app/assets/store-B5s3YAxr.js","/app/assets/style-D93fn0gy.js","/app/assets/style-DCUOeb3h.js","/app/assets/style-efS8A1hW.css","/app/assets/time-B6xVHBzt.js","/app/assets/time-Bjr-1vAo.css","/app/assets/use-expose-BpnN4Xea.js","/app/assets/use-id-fsVC421m.js","/app/assets/use-placeholder-Cjy-s_6d.js"];
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
