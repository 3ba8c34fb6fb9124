// The pages' service worker: the app opens with no network (a grid worker under a bridge
// reloads the page, and the outbox in IndexedDB is still there to show and send).
// Built by vite.config.ts, which fills in the build's files; never caches the API.
const VERSION = 'f7c13b46a7cde085';
const FILES = ["/app/assets/AppShell-Ci3LK9ou.css","/app/assets/AppShell-DWHKNOFV.js","/app/assets/ErrorBlock-CH8pTN0j.css","/app/assets/ErrorBlock-DfsSFiaU.js","/app/assets/EventPage-Bpm4D644.css","/app/assets/EventPage-DvHZ1QaJ.js","/app/assets/LoginPage-CWmCHD60.js","/app/assets/LoginPage-DfyTEiWB.css","/app/assets/MePage-DeMrrsyI.css","/app/assets/MePage-Dvmbg5d9.js","/app/assets/MyReportsPage-fal_HPuw.js","/app/assets/MyReportsPage-lgrxmNGv.css","/app/assets/NoteForm-DyjTRBv3.js","/app/assets/NoteForm-kU2azaXA.css","/app/assets/NotificationsPage-Dv8N0i6D.css","/app/assets/NotificationsPage-iXpx31Fd.js","/app/assets/PinMap-BzTYOu-w.js","/app/assets/PinMap-UIXP1-AQ.css","/app/assets/ReportPage-BaqwIRUS.css","/app/assets/ReportPage-DCgscAUR.js","/app/assets/SlaChip-xW70rBvb.js","/app/assets/TasksPage-CFS-2fSy.css","/app/assets/TasksPage-DiS3Isme.js","/app/assets/VerifyForm-DVHJeaLj.js","/app/assets/act-CUql3o70.js","/app/assets/cell-C0St04HP.js","/app/assets/cell-Clsg_zf0.css","/app/assets/client-Bo1rAk4W.js","/app/assets/db-K0obvXo1.js","/app/assets/function-call-BmER-exC.js","/app/assets/icon-C93cp0Tr.js","/app/assets/image-preview-CTj13SZo.js","/app/assets/image-preview-bJmVEWla.css","/app/assets/index-B9nEIMBT.css","/app/assets/index-krjZ3hcu.js","/app/assets/labels-DA_9V99h.js","/app/assets/media-Bk6OKgKp.js","/app/assets/media-CaLrBARE.css","/app/assets/now-Be1ZbAIf.js","/app/assets/on-popup-reopen-CAUxTAQU.js","/app/assets/online-DGpTU7ic.js","/app/assets/socket-Cr_ScciC.js","/app/assets/store-DVOr6UmN.js","/app/assets/style-1NkX4yHs.js","/app/assets/style-B79fP5fj.js","/app/assets/style-B7CDqc6Y.js","/app/assets/style-Bjr-1vAo.css","/app/assets/style-CG3O6r8g.js","/app/assets/style-DBO_Shm8.css","/app/assets/style-DYng3Mnv.css","/app/assets/style-DwMfaRBd.js","/app/assets/style-Mfjn74ka.css","/app/assets/style-efS8A1hW.css","/app/assets/style-i5Ia-SG5.js","/app/assets/time-DI3jmFCC.js","/app/assets/use-expose-CYeTJTc5.js","/app/assets/use-id-mRlP_mfY.js","/app/assets/use-placeholder-qyCi2Oom.js","/app/assets/use-scope-id-C4l8M5PH.js"];
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
