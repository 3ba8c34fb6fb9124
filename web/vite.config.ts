import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { VantResolver } from '@vant/auto-import-resolver';

// The build lands inside the Python package, so `pip install` + `chengyun serve` serves it
// under /app/ (backend/pages). Hashed names under assets/ are cached for good there.
// `npm run dev` proxies the API and the socket to a backend on :8000 (docs/pages.md).
const backend = process.env.CHENGYUN_BACKEND ?? 'http://127.0.0.1:8000';

// Vant's icon font is inlined (woff2 as data:), with a fallback on a CDN host. The pages
// talk to no host but their own server, so the fallback goes.
const noCdnFont: Plugin = {
  name: 'chengyun-no-cdn-font',
  enforce: 'pre',
  transform(code, id) {
    if (!id.includes('vant') || !id.endsWith('.css') || !code.includes('alicdn.com')) return null;
    return { code: code.replace(/,\s*url\((?:https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\("[a-z0-9]+"\)/g, ''), map: null };
  },
};

// Modules only the district's screen uses: a phone never needs them offline, and
// precaching them would cost a grid worker's 4G about 700 KB at every new build.
const SCREEN_ONLY = /\/src\/screen\/|\/node_modules\/(echarts|zrender|tslib|leaflet\.markercluster)\//;

// The service worker lists every file of this build but the screen's (sorted, so the
// output is the same for the same source) and is versioned by them: a new build replaces
// the cache.
const serviceWorker: Plugin = {
  name: 'chengyun-service-worker',
  apply: 'build',
  generateBundle(_options, bundle) {
    const screenOnly = new Set<string>();
    const sharedCss = new Set<string>();
    for (const [name, item] of Object.entries(bundle)) {
      if (item.type !== 'chunk') continue;
      const css: Set<string> = item.viteMetadata?.importedCss ?? new Set();
      if (item.moduleIds.length > 0 && item.moduleIds.every((id) => SCREEN_ONLY.test(id))) {
        screenOnly.add(name);
        css.forEach((file) => screenOnly.add(file));
      } else {
        css.forEach((file) => sharedCss.add(file));
      }
    }
    const files = Object.keys(bundle)
      .filter((name) => name.startsWith('assets/'))
      .filter((name) => !screenOnly.has(name) || sharedCss.has(name))
      .sort()
      .map((name) => `/app/${name}`);
    const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 16);
    const source = readFileSync(new URL('./sw-template.js', import.meta.url), 'utf8')
      .replace('__VERSION__', version)
      .replace('__FILES__', JSON.stringify(files));
    this.emitFile({ type: 'asset', fileName: 'sw.js', source });
  },
};

export default defineConfig({
  base: '/app/',
  plugins: [
    noCdnFont,
    vue(),
    serviceWorker,
    // Vant components used in templates are imported (with their CSS) where used.
    Components({ resolvers: [VantResolver()], dts: 'src/components.d.ts' }),
  ],
  build: {
    outDir: '../backend/pages/dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2020',
    // A build is compared byte for byte with the committed one in CI: nothing
    // time-dependent may go in, and chunk names come from the source only.
    reportCompressedSize: false,
    // Rolldown's plugin-timing notes are noise on a slow CI machine.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: {
    proxy: {
      '/api': { target: backend, ws: true, changeOrigin: false },
      '/app/config.json': { target: backend },
    },
  },
});
