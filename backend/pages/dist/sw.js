// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '7d7664c53b7a97db';
const FILES = ["/app/assets/AppShell-B3PrXW3W.js","/app/assets/AppShell-B7Zk4j0K.css","/app/assets/DeptQueue-BhSQJw6p.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/DutyPage-jgx2w5iZ.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-Cie-e9NL.js","/app/assets/EventBoard-BSc4bdaI.css","/app/assets/EventBoard-C8JCrVb0.js","/app/assets/EventPage-CMI6o1fL.js","/app/assets/EventPage-CksnkWDY.css","/app/assets/LoginPage-C9lJ6BFy.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-5WAI5nBT.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/MyReportsPage-nbuWCaTa.js","/app/assets/NoteForm-DLadQJPS.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-DBfPUD7M.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-B48_WWyC.css","/app/assets/PinMap-DJEGvhhg.js","/app/assets/ReportPage-DZBHXVjZ.js","/app/assets/ReportPage-DkEvL7Bz.css","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomPage-D9BHsinw.js","/app/assets/RoomsPage-CT5KrwKK.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-uCNUIIlp.js","/app/assets/TasksPage-6tfcAQn8.js","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/TriageBoard-CMC7PZbR.js","/app/assets/VerifyForm-CmTpWIBH.js","/app/assets/cell-Clsg_zf0.css","/app/assets/cell-D27Cgl05.js","/app/assets/checkbox-B_Fsz_t-.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-BuoHVHQM.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-CogW10C2.js","/app/assets/index-0JoHCSoG.css","/app/assets/index-haTCOmoD.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-BhZfRD6s.js","/app/assets/now-CFBxPlq4.js","/app/assets/on-popup-reopen-DgQ6lDGN.js","/app/assets/online-CsXZGzJZ.js","/app/assets/popup-Cf3Pd19e.js","/app/assets/reference-DsT4WY2P.js","/app/assets/socket-DVgjq1i7.js","/app/assets/store-aLzHB8n_.js","/app/assets/style-BTz5CKLO.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CP27-hWR.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-DixghPUV.js","/app/assets/style-IaaQy2sC.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-Q43wndGr.js","/app/assets/style-efS8A1hW.css","/app/assets/style-lk3gX24O.js","/app/assets/style-n7AoqbOs.js","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-CV5hjI_4.js","/app/assets/use-id-Bh-TLNvg.js","/app/assets/use-placeholder-DrCX8OZo.js","/app/assets/use-touch-B8Z1gweI.js"];
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
