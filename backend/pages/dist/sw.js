// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = 'c47c367336757df4';
const FILES = ["/app/assets/AppShell-B7Zk4j0K.css","/app/assets/AppShell-BOT8tPYl.js","/app/assets/DeptQueue-BhSKHQli.js","/app/assets/DutyPage-CJ6v93c5.js","/app/assets/DutyPage-CYWAm0wm.css","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-Co8Oqn3Y.js","/app/assets/EventBoard-CQsn3a7_.css","/app/assets/EventBoard-Lwz68Eb8.js","/app/assets/EventPage-6jrrEOLe.js","/app/assets/EventPage-D69cGHwN.css","/app/assets/LoginPage-DeCcoZWV.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-CSlLT87j.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-EmumXa76.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-B7gbGn9v.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-27aglFQ8.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-8BadNOIt.js","/app/assets/PinMap-B48_WWyC.css","/app/assets/ReportPage-BvUCQlKy.js","/app/assets/ReportPage-DkEvL7Bz.css","/app/assets/RoomPage-BX25sDD3.css","/app/assets/RoomPage-Df18I6gc.js","/app/assets/RoomsPage--3_dDUO3.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-ChKsxoKZ.js","/app/assets/TasksPage-B4VyF6bK.js","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/TriageBoard-C3j1RTfw.js","/app/assets/VerifyForm-bGAnTfXn.js","/app/assets/cell-Clsg_zf0.css","/app/assets/cell-DYEG03oo.js","/app/assets/checkbox-DV8Sabcb.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-BYKMXSf1.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-CjYAYKF8.js","/app/assets/index-0JoHCSoG.css","/app/assets/index-BEybjHJd.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-DEMpIp22.js","/app/assets/now-BYN0GJux.js","/app/assets/on-popup-reopen-BazH6PO5.js","/app/assets/online-DjE_qjmu.js","/app/assets/popup-CgdDqFq_.js","/app/assets/reference-RQCvgRGz.js","/app/assets/socket-CPqlLgWR.js","/app/assets/store-D7zlDmpi.js","/app/assets/style-B6XhxYh2.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-C65JhIfQ.js","/app/assets/style-C98qsLu6.js","/app/assets/style-COWn-i52.js","/app/assets/style-CsSjCXBM.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-Mfjn74ka.css","/app/assets/style-WEvmbqEx.js","/app/assets/style-efS8A1hW.css","/app/assets/style-uQ9v6l6y.js","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-C-nbzQtF.js","/app/assets/use-id-BCOsNG0m.js","/app/assets/use-placeholder-zmi24K1N.js","/app/assets/use-touch-jQdChTbt.js"];
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
