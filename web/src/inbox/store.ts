import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, ApiError, unwrap } from '../api/client';
import type { Task } from '../api/types';
import { readKv, writeKv } from '../common/db';
import { useAuth } from '../auth/store';

interface Snapshot {
  cursor: string | null;
  tasks: Task[];
  synced_at: string | null;
}

const RANK: Record<string, number> = { overdue: 0, warning: 1, normal: 2 };

/** Most urgent first, as GET /inbox orders them: overdue, warning, due time, oldest. */
function urgency(a: Task, b: Task): number {
  const ra = RANK[a.sla_state ?? ''] ?? 3;
  const rb = RANK[b.sla_state ?? ''] ?? 3;
  if (ra !== rb) return ra - rb;
  if (a.due_at && b.due_at && a.due_at !== b.due_at) return a.due_at < b.due_at ? -1 : 1;
  if (!!a.due_at !== !!b.due_at) return a.due_at ? -1 : 1;
  return a.created_at < b.created_at ? -1 : 1;
}

/**
 * My tasks: a copy of the inbox kept in IndexedDB and brought up to date with
 * /inbox/sync (apply `removed`, then `upserts`, until `has_more` is false), so the list
 * opens offline with what the last sync said.
 */
export const useInbox = defineStore('inbox', () => {
  const byId = ref(new Map<string, Task>());
  const syncedAt = ref<string | null>(null);
  let cursor: string | null = null;
  let loadedFor: string | null = null;

  const tasks = computed(() => [...byId.value.values()].sort(urgency));
  const key = () => `inbox:${useAuth().user?.id ?? 'none'}`;

  async function restore(): Promise<void> {
    if (loadedFor === key()) return;
    const snap = await readKv<Snapshot>(key());
    byId.value = new Map((snap?.tasks ?? []).map((t) => [t.id, t]));
    cursor = snap?.cursor ?? null;
    syncedAt.value = snap?.synced_at ?? null;
    loadedFor = key();
  }

  async function sync(): Promise<void> {
    await restore();
    const copy = new Map(byId.value);
    let next = cursor;
    for (;;) {
      let page;
      try {
        page = await unwrap(
          api.GET('/api/v1/inbox/sync', { params: { query: next ? { cursor: next } : {} } }),
        );
      } catch (e) {
        if (e instanceof ApiError && e.status === 400 && next) {
          // An unknown cursor (another server, a reset): start over with everything open.
          copy.clear();
          next = null;
          continue;
        }
        throw e;
      }
      page.removed.forEach((id) => copy.delete(id));
      page.upserts.forEach((t) => copy.set(t.id, t));
      next = page.cursor;
      if (!page.has_more) break;
    }
    byId.value = copy;
    cursor = next;
    syncedAt.value = new Date().toISOString();
    // Plain objects: IndexedDB's structured clone refuses Vue's reactive proxies.
    const snapshot: Snapshot = {
      cursor,
      tasks: JSON.parse(JSON.stringify([...copy.values()])) as Task[],
      synced_at: syncedAt.value,
    };
    await writeKv(key(), snapshot);
  }

  return { tasks, syncedAt, restore, sync };
});
