import { ref } from 'vue';

/** The browser's idea of being online; offline is a normal state, not an error. */
export const online = ref(navigator.onLine);
window.addEventListener('online', () => (online.value = true));
window.addEventListener('offline', () => (online.value = false));
