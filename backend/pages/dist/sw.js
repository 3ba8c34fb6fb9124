// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '86ef20b10ad75d6b';
const FILES = ["/app/assets/AppShell-Ci3LK9ou.css","/app/assets/AppShell-DHeF0s7j.js","/app/assets/DeptQueue-C8glespk.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/DutyPage-DV0gElYI.js","/app/assets/ErrorBlock--ElMWdkA.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/EventBoard-BSc4bdaI.css","/app/assets/EventBoard-wRTG3N9W.js","/app/assets/EventPage-B7Zim3FJ.css","/app/assets/EventPage-V24eokcN.js","/app/assets/LoginPage-B8EIMcMf.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DeMrrsyI.css","/app/assets/MePage-l-hIpsyI.js","/app/assets/MyReportsPage-CpfiBVCA.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-2Ps3yu-7.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-C0_zfvhZ.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-B8ucGrjs.css","/app/assets/PinMap-Cs30yv_R.js","/app/assets/ReportPage-BWQLeOyJ.js","/app/assets/ReportPage-BaqwIRUS.css","/app/assets/RoomPage-BuR7A4Pe.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomsPage-CkNwcODm.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-Dy5fm-s7.js","/app/assets/TasksPage-CFS-2fSy.css","/app/assets/TasksPage-UFp_Qe23.js","/app/assets/TriageBoard-DYEDxRN9.js","/app/assets/VerifyForm-Dy9SuHuJ.js","/app/assets/cell-CfQgyGJG.js","/app/assets/cell-Clsg_zf0.css","/app/assets/checkbox-D-udnxmT.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-CxZxSC6W.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-ChhIlnIW.js","/app/assets/index-B9nEIMBT.css","/app/assets/index-Cw9Xsvyu.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-Ce3PAecr.js","/app/assets/now-DdSU3Tba.js","/app/assets/on-popup-reopen-CLlouVyT.js","/app/assets/online-DVNzo6rn.js","/app/assets/popup-C14r3WPi.js","/app/assets/reference-B9TIE7fH.js","/app/assets/socket-C72gA9TU.js","/app/assets/store-DhoaBw43.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CEcQ619S.js","/app/assets/style-CG0zrRJT.js","/app/assets/style-CptwNF_1.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-Itad8oEM.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-aZ9nVsTu.js","/app/assets/style-dxEqZ4rI.js","/app/assets/style-efS8A1hW.css","/app/assets/style-ssVieFuC.js","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-eEM692i4.js","/app/assets/use-id-BT4179nG.js","/app/assets/use-placeholder-BY-PdfsY.js","/app/assets/use-touch-xHclKTWJ.js"];
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
