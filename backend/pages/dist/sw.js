// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = 'b994da2f5e6190f0';
const FILES = ["/app/assets/AppShell-Ci3LK9ou.css","/app/assets/AppShell-CvEeHI-1.js","/app/assets/DeptQueue-B9PPODxQ.js","/app/assets/DutyPage-BQZetrGU.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-Cz4th1cF.js","/app/assets/EventBoard-D5b7l3uL.css","/app/assets/EventBoard-DXSVwXlZ.js","/app/assets/EventPage-6RyyWhBL.js","/app/assets/EventPage-CjFHxoba.css","/app/assets/LoginPage-0MhQDHwt.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-By6IlzsK.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-D7w-Rkva.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NoteForm-xh5WrBmN.js","/app/assets/NotificationsPage-BmwlZLLv.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/OneMap-BN-acLb_.css","/app/assets/OneMap-TJwqrSTb.js","/app/assets/PinMap-B8ucGrjs.css","/app/assets/PinMap-DXsroiBN.js","/app/assets/ReportPage-B8km52LH.js","/app/assets/ReportPage-BaqwIRUS.css","/app/assets/RoomPage--jn5nqxh.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomsPage-H7NrNoim.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-CPFWKZg_.js","/app/assets/TasksPage-Byaq2Ph6.css","/app/assets/TasksPage-ClkPvCqb.js","/app/assets/TriageBoard-CpYHHM3D.js","/app/assets/VerifyForm-BJJxrqNT.js","/app/assets/cell-BkRXVvTo.js","/app/assets/cell-Clsg_zf0.css","/app/assets/checkbox-CxeYWd1E.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-BoI4k4v_.js","/app/assets/db-K0obvXo1.js","/app/assets/function-call-BlWCb9CW.js","/app/assets/icon-BlykNj_I.js","/app/assets/index-B9nEIMBT.css","/app/assets/index-BVtZ5nSg.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-BTf-H4gg.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/loading-CREFQRFZ.js","/app/assets/media-BNtQkCPn.css","/app/assets/media-Bguo1iSy.js","/app/assets/now-DRXA_186.js","/app/assets/on-popup-reopen-BTNh4PyD.js","/app/assets/online-D9ffBeAv.js","/app/assets/popup-By_3-5Fm.js","/app/assets/reference-efUAoNkn.js","/app/assets/rolldown-runtime-BLXQ4ufn.js","/app/assets/socket-BXRgdX4y.js","/app/assets/store-B3y6_tZa.js","/app/assets/style-7VXPQ1O-.js","/app/assets/style-BTG90I9J.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CAWW6EiH.js","/app/assets/style-C_zIUf6i.js","/app/assets/style-CxQ1gX0z.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DXdTR9s4.js","/app/assets/style-DYng3Mnv.css","/app/assets/style-Dw1Gujg0.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-efS8A1hW.css","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-BoyedVIV.js","/app/assets/use-id-CNRQNfuD.js","/app/assets/use-placeholder-0OL8gnq8.js","/app/assets/use-route-ECMsB8NC.js","/app/assets/use-scope-id-DwJYO61L.js","/app/assets/use-touch-DNZUBCFc.js"];
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
