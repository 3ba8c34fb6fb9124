// The live list behind the triage board and the department queue: pages of GET /events
// with the chosen filters; `event` frames from the socket update rows in place and count
// new arrivals, which join the list only when the dispatcher asks (nothing moves under a
// finger). After a reconnect the first page is read again, as frames are not replayed.
import { onBeforeUnmount, reactive, ref, shallowRef } from 'vue';
import { api, ApiError, unwrap } from '../api/client';
import type { EventOut } from '../api/types';
import { live, type Frame } from '../api/socket';

export interface BoardFilters {
  status: string;
  category: string;
  community_id: string;
  grid_id: string;
  assignee_org_id: string;
}

export interface EventChange {
  id: string;
  case_no: string;
  action: string;
  status: string;
  version: number;
  street_id: string;
  grid_id: string;
  assignee_org_id: string | null;
  updated_at: string;
}

const PAGE = 50;

function query(f: BoardFilters, cursor: string | null) {
  return {
    limit: PAGE,
    cursor,
    status: f.status || null,
    category: f.category || null,
    community_id: f.community_id || null,
    grid_id: f.grid_id || null,
    assignee_org_id: f.assignee_org_id || null,
  };
}

/** Would this change show on the board with these filters? (What the frame tells.) */
function matches(f: BoardFilters, c: EventChange): boolean {
  if (f.status && !f.status.split(',').includes(c.status)) return false;
  if (f.grid_id && f.grid_id !== c.grid_id) return false;
  if (f.assignee_org_id && f.assignee_org_id !== c.assignee_org_id) return false;
  return true;
}

export function useBoard(filters: BoardFilters) {
  const rows = ref<EventOut[]>([]);
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const finished = ref(false);
  const error = ref('');
  /** Ids of events that arrived (or newly matter) since the list was read. */
  const fresh = reactive(new Set<string>());
  /** Rows changed by someone else since shown: highlighted until looked at. */
  const touched = reactive(new Set<string>());
  /** The arrivals the last reload brought in, marked 新 until the next one. */
  const lastFresh = shallowRef<Set<string>>(new Set());
  const refreshedAt = shallowRef<number>(0);
  let generation = 0;

  async function reload(): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    error.value = '';
    try {
      const page = await unwrap(api.GET('/api/v1/events', { params: { query: query(filters, null) } }));
      if (mine !== generation) return;
      lastFresh.value = new Set(fresh);
      rows.value = page.items;
      nextCursor.value = page.next_cursor ?? null;
      finished.value = !page.next_cursor;
      fresh.clear();
      refreshedAt.value = Date.now();
    } catch (e) {
      if (mine === generation) error.value = e instanceof ApiError ? e.message : '读取失败';
      finished.value = true;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function more(): Promise<void> {
    if (!nextCursor.value) {
      finished.value = true;
      loading.value = false;
      return;
    }
    const mine = generation;
    try {
      const page = await unwrap(
        api.GET('/api/v1/events', { params: { query: query(filters, nextCursor.value) } }),
      );
      if (mine !== generation) return;
      const known = new Set(rows.value.map((r) => r.id));
      rows.value.push(...page.items.filter((e) => !known.has(e.id)));
      nextCursor.value = page.next_cursor ?? null;
      finished.value = !page.next_cursor;
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : '读取失败';
      finished.value = true;
    } finally {
      loading.value = false;
    }
  }

  async function refreshRow(id: string): Promise<void> {
    try {
      const event = await unwrap(api.GET('/api/v1/events/{event_id}', { params: { path: { event_id: id } } }));
      const i = rows.value.findIndex((r) => r.id === id);
      if (i >= 0) rows.value[i] = event;
    } catch (e) {
      // Gone from view (moved to another street's or department's care): drop the row.
      if (e instanceof ApiError && e.status === 404) rows.value = rows.value.filter((r) => r.id !== id);
    }
  }

  function onEvent(frame: Frame): void {
    const change = frame.event as EventChange;
    const row = rows.value.find((r) => r.id === change.id);
    if (row) {
      if (row.version < change.version) {
        touched.add(change.id);
        refreshRow(change.id);
      }
      return;
    }
    if (matches(filters, change)) fresh.add(change.id);
  }

  // Frames missed while the socket was down: compare the first page with what is shown.
  async function catchUp(): Promise<void> {
    if (!refreshedAt.value) return;
    try {
      const page = await unwrap(api.GET('/api/v1/events', { params: { query: query(filters, null) } }));
      for (const e of page.items) {
        const row = rows.value.find((r) => r.id === e.id);
        if (!row) fresh.add(e.id);
        else if (row.version < e.version) Object.assign(row, e);
      }
    } catch {
      // The next frame or a manual refresh will do it.
    }
  }

  const offs = [live.on('event', onEvent), live.on('ready', () => void catchUp())];
  onBeforeUnmount(() => offs.forEach((off) => off()));

  return { rows, loading, finished, error, fresh, lastFresh, touched, refreshedAt, reload, more };
}
