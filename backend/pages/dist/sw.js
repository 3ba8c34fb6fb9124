// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '2557714702155e4d';
const FILES = ["/app/assets/AppShell-B7Zk4j0K.css","/app/assets/AppShell-BqkEcL71.js","/app/assets/DeptQueue-CKHCEfbl.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/DutyPage-pb0KKeI6.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-DmVZzpOj.js","/app/assets/EventBoard-BKutvGPs.js","/app/assets/EventBoard-BSc4bdaI.css","/app/assets/EventPage-C6ceoVHO.css","/app/assets/EventPage-Um0mhyk8.js","/app/assets/LoginPage-Cxems2f2.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DeMrrsyI.css","/app/assets/MePage-mkdFrrUX.js","/app/assets/MyReportsPage-Bwn-_ZPd.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-_vD-fQ9h.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/NotificationsPage-DxkDQyDd.js","/app/assets/PinMap-B48_WWyC.css","/app/assets/PinMap-Be22FqDR.js","/app/assets/ReportPage-BmUZ-nqd.js","/app/assets/ReportPage-DkEvL7Bz.css","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomPage-DLM007ch.js","/app/assets/RoomsPage-B0SUPy1R.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-ChVSMK7Y.js","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/TasksPage-SN3O5SEl.js","/app/assets/TriageBoard-BiR-uNFE.js","/app/assets/VerifyForm-Se1B1P8r.js","/app/assets/cell-Clsg_zf0.css","/app/assets/cell-vX2VRDEn.js","/app/assets/checkbox-CVB4GBLI.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-D6rg7nXr.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-CF5PFhpc.js","/app/assets/index-0JoHCSoG.css","/app/assets/index-CEcC609m.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-DCctO4lm.js","/app/assets/now-97AgOJTj.js","/app/assets/on-popup-reopen-Czc--poP.js","/app/assets/online-BJolC0S8.js","/app/assets/popup-DuYEyICI.js","/app/assets/reference-DHSVHxPU.js","/app/assets/socket-BgIydpN2.js","/app/assets/store-DGgE2Bai.js","/app/assets/style-B2RpUHnl.js","/app/assets/style-BKc2Ka8R.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-C7pim5jI.js","/app/assets/style-CG5JpdZl.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DPfntaHY.js","/app/assets/style-DYng3Mnv.css","/app/assets/style-DkSwBP4K.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-ZQtnBTzi.js","/app/assets/style-efS8A1hW.css","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-oXmIqP5s.js","/app/assets/use-id-BR4KdnpH.js","/app/assets/use-placeholder-g6AfAdcV.js","/app/assets/use-touch-Tp8Q2nJ5.js"];
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
