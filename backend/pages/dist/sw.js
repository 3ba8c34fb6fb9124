// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '05885cfedb79379e';
const FILES = ["/app/assets/AppShell-B7Zk4j0K.css","/app/assets/AppShell-C-UN4GM9.js","/app/assets/DeptQueue-BG9PdZeC.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/DutyPage-_tbiJxg_.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-d4Qi5CMO.js","/app/assets/EventBoard-BSc4bdaI.css","/app/assets/EventBoard-zQjSvPu4.js","/app/assets/EventPage-DbshrKmi.js","/app/assets/EventPage-Dje8J5Ck.css","/app/assets/LoginPage-BQb83bmU.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-BNF7g92j.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/MyReportsPage-wcS4nM_v.js","/app/assets/NoteForm-Bidglz0X.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/NotificationsPage-gkfGAGXC.js","/app/assets/PinMap-B48_WWyC.css","/app/assets/PinMap-Dj-XCGBT.js","/app/assets/ReportPage-BDGyvG6C.js","/app/assets/ReportPage-DkEvL7Bz.css","/app/assets/RoomPage-B1mv1GUy.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomsPage-BaIafQDU.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-Dx2RzWqb.js","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/TasksPage-DfS5qy-7.js","/app/assets/TriageBoard-Dtd1GcEc.js","/app/assets/VerifyForm-Bi4og1xO.js","/app/assets/cell-CDshm6BQ.js","/app/assets/cell-Clsg_zf0.css","/app/assets/checkbox-D0eZNqmR.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-ByjnkqOm.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-CxRuK4ds.js","/app/assets/index-0JoHCSoG.css","/app/assets/index-Cuh6h9dW.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-D4FDnEi5.js","/app/assets/now-M87Iw1MT.js","/app/assets/on-popup-reopen-Dy1TxE2V.js","/app/assets/online-Bix3vee6.js","/app/assets/popup-DeKMmXYZ.js","/app/assets/reference-Co4v0sEV.js","/app/assets/socket-CeMDh1gd.js","/app/assets/store-BbMXsx2g.js","/app/assets/style-BJ-mFJRk.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-C8n15I1M.js","/app/assets/style-CWXj7eJf.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-Dc3K8WMN.js","/app/assets/style-KzZUXfWI.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-O5UUuGTt.js","/app/assets/style-efS8A1hW.css","/app/assets/style-kezec45J.js","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-BEP6vCVQ.js","/app/assets/use-id-CeTbzOlK.js","/app/assets/use-placeholder-Ct_uotcw.js","/app/assets/use-touch-CrbY-UOn.js"];
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
