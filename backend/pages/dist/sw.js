// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '1a36eb97ad3c9ea1';
const FILES = ["/app/assets/AppShell-B7Zk4j0K.css","/app/assets/AppShell-BYFeCGOt.js","/app/assets/DeptQueue-CKGC9Qx7.js","/app/assets/DutyPage-Bt3a2wza.css","/app/assets/DutyPage-CQg5OCBl.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-Cv_si3R9.js","/app/assets/EventBoard-BSc4bdaI.css","/app/assets/EventBoard-CMww_SoO.js","/app/assets/EventPage-D4pf1Nzr.css","/app/assets/EventPage-x9QHnBki.js","/app/assets/LoginPage-CrSCNFO-.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-5UaOwJuH.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-BzoYVaaU.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-4C0rPOqF.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-DBfYVbJE.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-B48_WWyC.css","/app/assets/PinMap-DtqQb6HI.js","/app/assets/ReportPage-DkEvL7Bz.css","/app/assets/ReportPage-SxnWfqR_.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomPage-Cwb2qdqu.js","/app/assets/RoomsPage-CGQ8xmtI.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-CJbqmM9i.js","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/TasksPage-qeIOOEvr.js","/app/assets/TriageBoard-D2n7TDs2.js","/app/assets/VerifyForm-C-aEwvzS.js","/app/assets/cell-Clsg_zf0.css","/app/assets/cell-DvjgpdM-.js","/app/assets/checkbox-BruGd4sy.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-PrB9mSjZ.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-DzvQSlBY.js","/app/assets/index-0JoHCSoG.css","/app/assets/index-C0uQSUmL.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-BkDEicWb.js","/app/assets/now-C-iY5oDa.js","/app/assets/on-popup-reopen-DEwqik-8.js","/app/assets/online-CZKowhQ0.js","/app/assets/popup-pptxTHjO.js","/app/assets/reference-DPMqaDFV.js","/app/assets/socket-Czq-DaMD.js","/app/assets/store-Ckat_7Us.js","/app/assets/style-B3D21tRY.js","/app/assets/style-B98GMRmc.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-C0E6cHsn.js","/app/assets/style-CUsbEWf5.js","/app/assets/style-CVAZAfxE.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DQQasF-D.js","/app/assets/style-DYng3Mnv.css","/app/assets/style-Do_Sx_zw.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-efS8A1hW.css","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-DsDT0vQl.js","/app/assets/use-id-hBz0N5G2.js","/app/assets/use-placeholder-DAU0Qtkk.js","/app/assets/use-touch-KlIkBCfF.js"];
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
