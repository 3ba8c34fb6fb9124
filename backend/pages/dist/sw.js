// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = 'a29412e98cac066e';
const FILES = ["/app/assets/AppShell-6CjQcO5Z.js","/app/assets/AppShell-B7Zk4j0K.css","/app/assets/DeptQueue-CqicupxO.js","/app/assets/DutyPage-C092Mo-o.js","/app/assets/DutyPage-CYWAm0wm.css","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-DrBnNEi_.js","/app/assets/EventBoard-6TFLJ5Dt.js","/app/assets/EventBoard-ysWSyIkI.css","/app/assets/EventPage-CAiTUSsp.js","/app/assets/EventPage-CVKVjiA2.css","/app/assets/LoginPage-BgLjdVBL.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DCkLhkvZ.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-Cse2Zgx8.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-D-j9Q9UX.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-Dgw_RHPM.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-B48_WWyC.css","/app/assets/PinMap-DizNinCi.js","/app/assets/ReportPage-DkEvL7Bz.css","/app/assets/ReportPage-Hjpyl6gF.js","/app/assets/RoomPage-BLV1PP3e.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomsPage-BgZCbVqj.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-C_FzZSWV.js","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/TasksPage-BEHJY3cl.js","/app/assets/TriageBoard-DCmCghe4.js","/app/assets/VerifyForm-C0c4dofY.js","/app/assets/cell-CdPFECbW.js","/app/assets/cell-Clsg_zf0.css","/app/assets/checkbox-CU9dA966.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-C5JbWSO0.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-0rSpq3Fr.js","/app/assets/index-0JoHCSoG.css","/app/assets/index-BzMjocD-.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-iXXkX-Ca.js","/app/assets/now-DoJbqZs6.js","/app/assets/on-popup-reopen-DHKzgcPy.js","/app/assets/online-BSh5qv0y.js","/app/assets/popup-D6jp-klZ.js","/app/assets/reference-CXm2phuS.js","/app/assets/socket-C2TfYbhd.js","/app/assets/store-DV25q-gw.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CnK_U-TD.js","/app/assets/style-Cse3yYKI.js","/app/assets/style-CuZ8X6fc.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-DuD9LM4q.js","/app/assets/style-DwH2VIoJ.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-QYrHQ29a.js","/app/assets/style-aXj5EqHt.js","/app/assets/style-efS8A1hW.css","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-B0grOVm5.js","/app/assets/use-id-BdCrruRi.js","/app/assets/use-placeholder-uf3Q-4nS.js","/app/assets/use-touch-B4fZFtzZ.js"];
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
