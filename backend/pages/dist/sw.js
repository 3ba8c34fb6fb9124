// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = 'fde904dda23e475a';
const FILES = ["/app/assets/AppShell-BkTLPvJy.js","/app/assets/AppShell-Ci3LK9ou.css","/app/assets/DeptQueue-DcT8AtBo.js","/app/assets/DutyPage-C5iJzzLu.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-nS6tPKpF.js","/app/assets/EventBoard-BSc4bdaI.css","/app/assets/EventBoard-M5gBC0dl.js","/app/assets/EventPage-CGJBkRk3.js","/app/assets/EventPage-Dje8J5Ck.css","/app/assets/LoginPage-CODkPxJg.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DeMrrsyI.css","/app/assets/MePage-p3n9ymIS.js","/app/assets/MyReportsPage-Bdl_lLjx.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-CyB7srAw.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-Dc9sZD0Z.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-B8ucGrjs.css","/app/assets/PinMap-zjed94ns.js","/app/assets/ReportPage-BaqwIRUS.css","/app/assets/ReportPage-BrVi_DrM.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomPage-Cyh3fd5V.js","/app/assets/RoomsPage-DMPWDbFJ.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-CTVrr6rf.js","/app/assets/TasksPage--42_1gJX.js","/app/assets/TasksPage-CFS-2fSy.css","/app/assets/TriageBoard-CZKjcedW.js","/app/assets/VerifyForm-CNKtP85D.js","/app/assets/cell-53sbNf6Q.js","/app/assets/cell-Clsg_zf0.css","/app/assets/checkbox-DgpduNmV.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-DVRKJimU.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-kgSv6A0U.js","/app/assets/index-B9nEIMBT.css","/app/assets/index-fPZvwaoA.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-C5Cue4JE.js","/app/assets/now-3myOVLh_.js","/app/assets/on-popup-reopen-DeSK21Rc.js","/app/assets/online-iWI6tnzf.js","/app/assets/popup-k5pf4nE5.js","/app/assets/reference-B1bS60wa.js","/app/assets/socket-CDft0kMM.js","/app/assets/store-C1VG5ZfX.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CP3RN1aN.js","/app/assets/style-Cm3nP8fE.js","/app/assets/style-CyKEJzP2.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DBaYDsjM.js","/app/assets/style-DEFYffvV.js","/app/assets/style-DXIl8ptB.js","/app/assets/style-DYng3Mnv.css","/app/assets/style-Mfjn74ka.css","/app/assets/style-VyhogGRs.js","/app/assets/style-efS8A1hW.css","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-sFtgnrj0.js","/app/assets/use-id-CszvyoF0.js","/app/assets/use-placeholder-BIcfBXcu.js","/app/assets/use-touch-DVR6Q3sT.js"];
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
