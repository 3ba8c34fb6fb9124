// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '086187826fd4353a';
const FILES = ["/app/assets/AppShell-BGZFh-vG.js","/app/assets/AppShell-Ci3LK9ou.css","/app/assets/DeptQueue-DEWkRZ30.js","/app/assets/DutyPage-9YwMQKXC.js","/app/assets/DutyPage-D7klqyuU.css","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-D0PI9f9f.js","/app/assets/EventBoard-BHVP7tWJ.js","/app/assets/EventBoard-BSc4bdaI.css","/app/assets/EventPage-B7Zim3FJ.css","/app/assets/EventPage-Dx0bSxGi.js","/app/assets/LoginPage-BS5CHYvz.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-BZ-Jv2iW.js","/app/assets/MePage-DeMrrsyI.css","/app/assets/MyReportsPage-BL4nprcd.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-DAFQrWx5.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-BRP11Twa.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-B8ucGrjs.css","/app/assets/PinMap-CWUnCf5_.js","/app/assets/ReportPage-BaqwIRUS.css","/app/assets/ReportPage-Cf1W5tR1.js","/app/assets/RoomPage-ConA9Ybh.css","/app/assets/RoomPage-mbdKiCoC.js","/app/assets/RoomsPage-COXgiu9t.js","/app/assets/RoomsPage-MZYS2uQh.css","/app/assets/SlaChip-9jUi7Vkm.js","/app/assets/TasksPage-CFS-2fSy.css","/app/assets/TasksPage-DlyvmuTV.js","/app/assets/TriageBoard-DLfYairQ.js","/app/assets/VerifyForm-CxT6-pve.js","/app/assets/cell-Clsg_zf0.css","/app/assets/cell-D4wOt3O4.js","/app/assets/checkbox-BvQXKU9o.js","/app/assets/checkbox-Dm__LFta.css","/app/assets/client-C1eC-4RC.js","/app/assets/db-K0obvXo1.js","/app/assets/icon-BNAIFWq1.js","/app/assets/index-B9nEIMBT.css","/app/assets/index-iFLO-1FM.js","/app/assets/labels-DA_9V99h.js","/app/assets/leaflet-src-DisAJLCY.js","/app/assets/leaflet-src-Ds4Udj8m.css","/app/assets/media-BNtQkCPn.css","/app/assets/media-Cw5c5DTH.js","/app/assets/now-Bt-EGggE.js","/app/assets/on-popup-reopen-B6SlHguT.js","/app/assets/online-DUkfRqS0.js","/app/assets/popup-BhKrQ8Xd.js","/app/assets/reference-C2tLMxnD.js","/app/assets/socket-BqwG0mS0.js","/app/assets/store-DMsa9Bem.js","/app/assets/style-B9AK4n_g.js","/app/assets/style-BLpa0siz.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CA3cxAv9.js","/app/assets/style-CmTyMw0e.js","/app/assets/style-DAhDJV7m.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-DwejBq8n.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-efS8A1hW.css","/app/assets/style-piG1o-Uh.js","/app/assets/time-BpmD-TfY.js","/app/assets/use-expose-C7R9tJGT.js","/app/assets/use-id-B-tvRcIK.js","/app/assets/use-placeholder-BPF--ijk.js","/app/assets/use-touch-DnoA2ftT.js"];
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
