// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '29130dbc035caf64';
const FILES = ["/app/assets/AppShell-Ci3LK9ou.css","/app/assets/AppShell-Dx203r-a.js","/app/assets/Breakdown-B8pkgLX2.css","/app/assets/Breakdown-D3lmWAcr.js","/app/assets/DeptQueue-CGbrYBZG.js","/app/assets/DutyPage-CxVjXrPw.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/EChart-BwgweE5q.css","/app/assets/EChart-CCnkqCWv.js","/app/assets/ErrorBlock-CBpRUSBu.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/EventBoard-BSc4bdaI.css","/app/assets/EventBoard-Ct5a0PiF.js","/app/assets/EventPage-B7Zim3FJ.css","/app/assets/EventPage-BmnQYgE0.js","/app/assets/LoginPage-BlnNi-d1.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-BwHw6YEZ.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-BS8Vwknp.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-DCpQ77ck.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-BmQiU_U_.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/OneMap-BN-acLb_.css","/app/assets/OneMap-BlAdNI5F.js","/app/assets/PinMap-B8ucGrjs.css","/app/assets/PinMap-DvojVLeg.js","/app/assets/ReportPage-BaqwIRUS.css","/app/assets/ReportPage-YD8rCxbU.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomPage-J08B7ih-.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/RoomsPage-iYMbtnjY.js","/app/assets/ScreenList-BKgtkJLc.css","/app/assets/ScreenList-BpZZqBsA.js","/app/assets/ScreenPage-Bg_R3PIW.js","/app/assets/ScreenPage-BxDU1FhS.css","/app/assets/SlaChip-CAJgpHVG.js","/app/assets/TasksPage-CFS-2fSy.css","/app/assets/TasksPage-Iy18D029.js","/app/assets/TrendChart-D5MUXIme.js","/app/assets/TriageBoard-4V20TOBI.js","/app/assets/VerifyForm-r08Txcad.js","/app/assets/cell-BScWisJG.js","/app/assets/cell-Clsg_zf0.css","/app/assets/checkbox-CLvL8ZQZ.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-Dv5_QS-k.js","/app/assets/db-K0obvXo1.js","/app/assets/function-call-DEh8hx73.js","/app/assets/icon-BGxuDwnF.js","/app/assets/index-B9nEIMBT.css","/app/assets/index-TyQP5t4e.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-BTf-H4gg.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/loading-CD04m_co.js","/app/assets/media-BNtQkCPn.css","/app/assets/media-DQ7EWszt.js","/app/assets/now-CPQW6ODA.js","/app/assets/on-popup-reopen-Cx0lpb6J.js","/app/assets/online-DYWd0uKU.js","/app/assets/popup-sZkKJb3v.js","/app/assets/reference-BcYXSAmC.js","/app/assets/rolldown-runtime-BLXQ4ufn.js","/app/assets/screen-Cje76tlG.css","/app/assets/screen-DDiNHu9o.js","/app/assets/socket-DyN25zul.js","/app/assets/store-BeuqJQT7.js","/app/assets/style-BhlnABCn.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-C7c-YD78.js","/app/assets/style-CREXgFtx.js","/app/assets/style-CW7P5LhQ.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DIQwV0pk.js","/app/assets/style-DWNg3Q-Y.js","/app/assets/style-DYng3Mnv.css","/app/assets/style-Mfjn74ka.css","/app/assets/style-efS8A1hW.css","/app/assets/style-mMjr7u7T.js","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-Bv-51gFZ.js","/app/assets/use-id-BsHTAXZ0.js","/app/assets/use-placeholder-DOxI-nkr.js","/app/assets/use-route-CKs5pVYY.js","/app/assets/use-scope-id-I_7rBlfJ.js","/app/assets/use-touch-B46uuQpY.js"];
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
