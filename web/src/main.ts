import { createApp } from 'vue';
import { createPinia } from 'pinia';
import 'vant/es/toast/style';
import 'vant/es/dialog/style';
import './common/base.css';
import App from './App.vue';
import { router } from './router';
import { followKeyboard } from './common/keyboard';
import { useAuth, homeOf } from './auth/store';
import { adopt, type Handover } from './auth/session';

const app = createApp(App);
app.use(createPinia());
app.use(router);
// A login that ends (logout, second 401, revoked) sends the page back to the login form.
const auth = useAuth();
auth.$subscribe((_m, state) => {
  if (!state.user && router.currentRoute.value.path !== '/login') router.replace('/login');
});
app.mount('#app');
followKeyboard();

// Offline is a normal state: the service worker opens the pages without a network.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => undefined);
}

// The hosting app's WebView hands its login over by calling this (evaluateJavascript is
// not inline script, so the CSP stays strict; docs/pages.md). Never through the URL.
(window as Window & { chengyunAdoptLogin?: (h: Handover) => void }).chengyunAdoptLogin = (h) => {
  adopt(h);
  router.replace(homeOf(h.user.role));
};
