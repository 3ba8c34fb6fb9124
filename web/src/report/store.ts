import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { OutboxItem } from '../common/db';
import { enqueue, flush, listOutbox, onOutboxChange, pruneSent, remove, retryFailed } from './outbox';
import { useAuth } from '../auth/store';

const MAX_BACKOFF_MS = 60_000;

/**
 * The outbox as the pages see it, and the runner that keeps sending: at start, when the
 * browser comes back online, when the page becomes visible, after every new report, and
 * on a backoff timer while anything waits.
 */
export const useOutbox = defineStore('outbox', () => {
  const items = ref<OutboxItem[]>([]);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let backoff = 2_000;
  let started = false;

  const userId = () => useAuth().user?.id ?? null;

  async function reload(): Promise<void> {
    const id = userId();
    items.value = id ? await listOutbox(id) : [];
  }

  async function kick(): Promise<void> {
    const id = userId();
    if (!id) return;
    if (timer) clearTimeout(timer);
    timer = null;
    let done = false;
    if (navigator.onLine) done = await flush(id);
    await reload();
    if (done) {
      backoff = 2_000;
      return;
    }
    // Waiting for the network (or a busy server): try again later, less often each time;
    // the `online` event cuts the wait short.
    timer = setTimeout(() => void kick(), backoff);
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
  }

  function start(): void {
    if (started) return;
    started = true;
    onOutboxChange(() => void reload());
    window.addEventListener('online', () => {
      backoff = 2_000;
      void kick();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void kick();
    });
    const id = userId();
    if (id) void pruneSent(id);
    void kick();
  }

  async function add(item: Parameters<typeof enqueue>[0]): Promise<OutboxItem> {
    const saved = await enqueue(item);
    await reload();
    backoff = 2_000;
    void kick();
    return saved;
  }

  async function retry(id: string): Promise<void> {
    await retryFailed(id);
    backoff = 2_000;
    await kick();
  }

  async function discard(id: string): Promise<void> {
    await remove(id);
  }

  return { items, start, add, retry, discard, reload, kick };
});
