import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, unwrap } from '../api/client';
import type { Notification } from '../api/types';
import { live } from '../api/socket';

/** The notification center: the list, the unread count, and live arrivals. */
export const useNotifications = defineStore('notifications', () => {
  const items = ref<Notification[]>([]);
  const unread = ref(0);
  const nextCursor = ref<string | null>(null);
  let listening = false;

  async function load(): Promise<void> {
    const page = await unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: 50 } } }));
    items.value = page.items;
    nextCursor.value = page.next_cursor ?? null;
    await countUnread();
  }

  async function more(): Promise<boolean> {
    if (!nextCursor.value) return false;
    const page = await unwrap(
      api.GET('/api/v1/notifications', { params: { query: { limit: 50, cursor: nextCursor.value } } }),
    );
    items.value.push(...page.items.filter((n) => !items.value.some((o) => o.id === n.id)));
    nextCursor.value = page.next_cursor ?? null;
    return true;
  }

  async function countUnread(): Promise<void> {
    const page = await unwrap(
      api.GET('/api/v1/notifications', { params: { query: { unread: true, limit: 200 } } }),
    );
    unread.value = page.items.length;
  }

  async function markRead(n: Notification): Promise<void> {
    if (n.read_at) return;
    const done = await unwrap(
      api.POST('/api/v1/notifications/{notification_id}/read', {
        params: { path: { notification_id: n.id } },
      }),
    );
    Object.assign(n, done);
    unread.value = Math.max(0, unread.value - 1);
  }

  async function markAllRead(): Promise<void> {
    await unwrap(api.POST('/api/v1/notifications/read-all', {}));
    const now = new Date().toISOString();
    items.value.forEach((n) => (n.read_at ??= now));
    unread.value = 0;
  }

  function listen(): void {
    if (listening) return;
    listening = true;
    live.on('notification', (frame) => {
      const n = frame.notification as Notification;
      if (items.value.some((o) => o.id === n.id)) return;
      items.value.unshift(n);
      if (!n.read_at) unread.value += 1;
    });
    // After a drop, what arrived meanwhile came by push only: count again.
    live.on('ready', () => {
      countUnread().catch(() => undefined);
    });
  }

  return { items, unread, nextCursor, load, more, countUnread, markRead, markAllRead, listen };
});
