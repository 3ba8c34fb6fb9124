// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = 'fe0d56c6afc03ec7';
const FILES = ["/app/assets/AppShell-BKuUSYwn.js","/app/assets/AppShell-Ci3LK9ou.css","/app/assets/DeptQueue-LEvmswEZ.js","/app/assets/DutyPage-BH4wvgSP.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-CijvacJl.js","/app/assets/EventBoard-D5b7l3uL.css","/app/assets/EventBoard-a1KHC9NX.js","/app/assets/EventPage-CjFHxoba.css","/app/assets/EventPage-DJKxjFK8.js","/app/assets/LoginPage-CmtN6G5M.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-BDfhRX4a.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/MyReportsPage-uSpbNIm1.js","/app/assets/NoteForm-DrN3e7Ly.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-Cfr8BrW6.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-B8ucGrjs.css","/app/assets/PinMap-CxcC7ZQV.js","/app/assets/ReportPage-BaqwIRUS.css","/app/assets/ReportPage-D36c3Z29.js","/app/assets/RoomPage-C06EVTSX.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomsPage-De-xg-FW.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-DOEWTKCX.js","/app/assets/TasksPage-Byaq2Ph6.css","/app/assets/TasksPage-DEcK_N9J.js","/app/assets/TriageBoard-Cof4zgb9.js","/app/assets/VerifyForm-DhyglG67.js","/app/assets/cell-BmFBRMDG.js","/app/assets/cell-Clsg_zf0.css","/app/assets/checkbox-Dm__LFta.css","/app/assets/checkbox-mpyiljtf.js","/app/assets/client-M95fQkIW.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-D0ITIr2s.js","/app/assets/index-B9nEIMBT.css","/app/assets/index-BBZ6YMGH.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-CCo_1f9s.js","/app/assets/now-BEZaNoL0.js","/app/assets/on-popup-reopen-rhwSpzpy.js","/app/assets/online-4hNGQmt7.js","/app/assets/popup-BLnbzcey.js","/app/assets/reference-DsO4WQjR.js","/app/assets/socket-DgnwijH-.js","/app/assets/store-BqLAGiLd.js","/app/assets/style-BACisk0B.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-C8jRsFWO.js","/app/assets/style-CiAOUKx9.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DSdsQorS.js","/app/assets/style-DYng3Mnv.css","/app/assets/style-DeF9JfyX.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-MylBhxWj.js","/app/assets/style-T7IlPWWF.js","/app/assets/style-efS8A1hW.css","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-CftMWI3h.js","/app/assets/use-id-D0ggApA_.js","/app/assets/use-placeholder-CdV8an8N.js","/app/assets/use-touch-DuzrzEt3.js"];
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
