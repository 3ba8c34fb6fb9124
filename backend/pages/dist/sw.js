// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = 'dbc8314863986900';
const FILES = ["/app/assets/AppShell-CRzAWEjv.js","/app/assets/AppShell-Ci3LK9ou.css","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-DE50ILMw.js","/app/assets/EventPage-Bpm4D644.css","/app/assets/EventPage-xzizaHhh.js","/app/assets/LoginPage-0N0_d7ad.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DQ-BJdyz.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-DEzwCmJV.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-BC8qsK0-.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/NotificationsPage-j7UJrPKR.js","/app/assets/PinMap-BdlgCDOF.css","/app/assets/PinMap-tPHJxBtK.js","/app/assets/ReportPage-9IjuU3yf.css","/app/assets/ReportPage-DwuIkTs2.js","/app/assets/SlaChip-DUgk-MOz.js","/app/assets/TasksPage-AOokATgq.js","/app/assets/TasksPage-CFS-2fSy.css","/app/assets/VerifyForm-uZcCdetv.js","/app/assets/act-CNoS-4nU.js","/app/assets/cell-CYHM7w4T.js","/app/assets/cell-Clsg_zf0.css","/app/assets/client-Da24WgJR.js","/app/assets/db-K0obvXo1.js","/app/assets/function-call-BcsQTSm5.js","/app/assets/icon-CJo4Wnlv.js","/app/assets/image-preview-DOQc1fEj.js","/app/assets/image-preview-bJmVEWla.css","/app/assets/index-B9nEIMBT.css","/app/assets/index-CUCQ6nyW.js","/app/assets/labels-DA_9V99h.js","/app/assets/media-C21FkqKy.js","/app/assets/media-CaLrBARE.css","/app/assets/now-Bluzmx3o.js","/app/assets/on-popup-reopen-DgFO99IQ.js","/app/assets/online-GlJ7w4X4.js","/app/assets/socket-BZ47XqHh.js","/app/assets/store-DFckf8id.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CKBizVju.js","/app/assets/style-Cf2JZ5Fk.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-Dc09xDyB.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-R0jbZA2l.js","/app/assets/style-efS8A1hW.css","/app/assets/style-gZMNRrzz.js","/app/assets/style-hG-kVbnD.js","/app/assets/time-syZKEL-_.js","/app/assets/use-expose-CIf8d_kp.js","/app/assets/use-id-BJYLqI6F.js","/app/assets/use-placeholder-BiBWVPrv.js","/app/assets/use-scope-id-DTOBhnkq.js"];
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
