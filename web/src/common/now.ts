import { onBeforeUnmount, ref, type Ref } from 'vue';

/** A clock for countdowns between refreshes; ticks while the component lives. */
export function useNow(everyMs = 30_000): Ref<number> {
  const now = ref(Date.now());
  const timer = setInterval(() => (now.value = Date.now()), everyMs);
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
