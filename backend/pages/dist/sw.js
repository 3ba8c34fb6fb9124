// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = 'fb538d85a3fb43dc';
const FILES = ["/app/assets/AppShell-Ci3LK9ou.css","/app/assets/AppShell-D0ZyK0d_.js","/app/assets/ErrorBlock-CFoCOm61.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/EventPage-Bpm4D644.css","/app/assets/EventPage-U9YJwuzz.js","/app/assets/LoginPage-ChNKVPiv.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DeMrrsyI.css","/app/assets/MePage-DihvHdeY.js","/app/assets/MyReportsPage-7pha3-Kg.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-Dz4hvjNK.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/NotificationsPage-sG14r3Fx.js","/app/assets/PinMap-BdlgCDOF.css","/app/assets/PinMap-DXWnZD-r.js","/app/assets/ReportPage-9IjuU3yf.css","/app/assets/ReportPage-W724P-eX.js","/app/assets/SlaChip-DQIgV2bF.js","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/TasksPage-DpDXZm7R.js","/app/assets/VerifyForm-797jTdCg.js","/app/assets/act-Dqvrwaj5.js","/app/assets/cell-CJyZXKVe.js","/app/assets/cell-Clsg_zf0.css","/app/assets/client-CJhHPsTr.js","/app/assets/db-K0obvXo1.js","/app/assets/function-call-DuVYbd8V.js","/app/assets/icon-DzZ0NOrg.js","/app/assets/image-preview-DaUV0QNb.js","/app/assets/image-preview-bJmVEWla.css","/app/assets/index-B9nEIMBT.css","/app/assets/index-dz_cItT7.js","/app/assets/labels-DA_9V99h.js","/app/assets/media-CaLrBARE.css","/app/assets/media-DPPpBM-h.js","/app/assets/now-DSBD62bI.js","/app/assets/on-popup-reopen-BYoH3im-.js","/app/assets/online-OiRIH422.js","/app/assets/store-DH1DzUM2.js","/app/assets/style-5oGNyorK.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CJk4RtJx.js","/app/assets/style-CLUpbJ9V.js","/app/assets/style-CN1AY2CY.js","/app/assets/style-CUb8484t.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-Mfjn74ka.css","/app/assets/style-efS8A1hW.css","/app/assets/style-mS2PPlj6.js","/app/assets/time-CL6dMHKX.js","/app/assets/use-expose-BWCJQncy.js","/app/assets/use-id-D-DOR3vE.js","/app/assets/use-placeholder-BdsTvGzk.js","/app/assets/use-scope-id-8FXoMolC.js"];
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
