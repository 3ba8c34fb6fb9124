// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = '5d7f0ce0f037fe02';
const FILES = ["/app/assets/AppShell-B7Zk4j0K.css","/app/assets/AppShell-DQYDlMru.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-qf7VfsWr.js","/app/assets/EventPage-EF3cYhgg.css","/app/assets/EventPage-Swua0c-E.js","/app/assets/LoginPage-CFF6l3zZ.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DeMrrsyI.css","/app/assets/MePage-TcuFHWAl.js","/app/assets/MyReportsPage-DsR8vsDN.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-UTeRB257.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-C2Vj8Kvv.js","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/PinMap-BfGIzFUN.js","/app/assets/PinMap-DELNJnit.css","/app/assets/ReportPage-BWDxvZhd.js","/app/assets/ReportPage-DkEvL7Bz.css","/app/assets/SlaChip-_log-qeg.js","/app/assets/TasksPage--WqChcbv.js","/app/assets/TasksPage-BBWE-iUA.css","/app/assets/VerifyForm-CnBQEr1Z.js","/app/assets/act-DMo84mN0.js","/app/assets/cell-Clsg_zf0.css","/app/assets/cell-dHsh1dRb.js","/app/assets/client-Dvb8Nppo.js","/app/assets/db-K0obvXo1.js","/app/assets/function-call-BQYYlgg-.js","/app/assets/icon-CUz-KmVh.js","/app/assets/image-preview-DNGfSvj1.js","/app/assets/image-preview-bJmVEWla.css","/app/assets/index-0JoHCSoG.css","/app/assets/index-4VZzWr4p.js","/app/assets/labels-DA_9V99h.js","/app/assets/media-CaLrBARE.css","/app/assets/media-DBA2l_k0.js","/app/assets/now-H_LkdJzZ.js","/app/assets/on-popup-reopen-CcJofPVa.js","/app/assets/online-LkfbO0oO.js","/app/assets/store-BErioX-s.js","/app/assets/style-BfQ37NWu.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CXEyizwS.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DJccLDsK.js","/app/assets/style-DYng3Mnv.css","/app/assets/style-GGyXH5Vu.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-efS8A1hW.css","/app/assets/style-hAxKgr1H.js","/app/assets/style-sEVsFgzS.js","/app/assets/time-BdMBR0gt.js","/app/assets/use-expose-B8EC9kx1.js","/app/assets/use-id-IVnQ0aYN.js","/app/assets/use-placeholder-BVSjO7Zq.js","/app/assets/use-scope-id-CikBzJaw.js"];
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
