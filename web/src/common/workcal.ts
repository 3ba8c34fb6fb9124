// The server's working calendar (工作日历), for counting the time left before a deadline
// exactly as the SLA planner does. The periods come from GET /calendar/working-periods for
// [today − 1 day, today + 31 days], kept in memory and in IndexedDB (offline use) and
// refreshed once a day; the clock of each category (working or natural) comes from
// GET /categories. Until both are known the page says its count is approximate.
import { shallowRef } from 'vue';
import { api, unwrap } from '../api/client';
import type { Category } from '../api/types';
import { readKv, writeKv } from './db';

export type Period = readonly [start: number, end: number]; // epoch ms, ascending, disjoint

export interface WorkingCalendar {
  from: number;
  to: number;
  periods: Period[];
  fetchedAt: number;
}

export type ClockKind = 'working' | 'natural';

const DAY_MS = 86_400_000;
const REFRESH_MS = DAY_MS;
const KEY = 'working-periods';
const CLOCKS_KEY = 'categories';

/** Working minutes from `now` to `due` on the given periods; zero when due is not later. */
export function workingMinutesBetween(now: number, due: number, periods: readonly Period[]): number {
  let total = 0;
  for (const [start, end] of periods) {
    if (end <= now) continue;
    if (start >= due) break;
    total += Math.min(end, due) - Math.max(start, now);
  }
  return Math.max(0, total) / 60_000;
}

/** Whether the periods are known for the whole of [a, b]. */
export function covers(cal: WorkingCalendar, a: number, b: number): boolean {
  return cal.from <= a && b <= cal.to;
}

export const workingCalendar = shallowRef<WorkingCalendar | null>(null);
export const categoryClocks = shallowRef<Map<string, ClockKind> | null>(null);

let loading: Promise<void> | null = null;

async function fetchPeriods(now: number): Promise<WorkingCalendar> {
  const from = new Date(now - DAY_MS).toISOString();
  const to = new Date(now + 31 * DAY_MS).toISOString();
  const body = await unwrap(api.GET('/api/v1/calendar/working-periods', { params: { query: { from, to } } }));
  return {
    from: Date.parse(body.from),
    to: Date.parse(body.to),
    periods: body.periods.map((p) => [Date.parse(p.start), Date.parse(p.end)] as const),
    fetchedAt: now,
  };
}

function clocksOf(categories: Category[]): Map<string, ClockKind> {
  return new Map(categories.map((c) => [c.code, c.sla.handle.clock]));
}

async function load(): Promise<void> {
  const now = Date.now();
  if (!workingCalendar.value) workingCalendar.value = (await readKv<WorkingCalendar>(KEY).catch(() => undefined)) ?? null;
  if (!categoryClocks.value) {
    const stored = await readKv<Category[]>(CLOCKS_KEY).catch(() => undefined);
    if (stored?.length) categoryClocks.value = clocksOf(stored);
  }
  const cal = workingCalendar.value;
  if (!cal || now - cal.fetchedAt > REFRESH_MS || !covers(cal, now, now + 30 * DAY_MS)) {
    try {
      const fresh = await fetchPeriods(now);
      workingCalendar.value = fresh;
      await writeKv(KEY, JSON.parse(JSON.stringify(fresh)));
    } catch {
      // Offline or refused: keep the stored copy; the chips say "约" where it falls short.
    }
  }
  try {
    const page = await unwrap(api.GET('/api/v1/categories', {}));
    categoryClocks.value = clocksOf(page.items);
    await writeKv(CLOCKS_KEY, JSON.parse(JSON.stringify(page.items)));
  } catch {
    // As above: the stored catalogue, or none (then every count is approximate).
  }
}

let lastAttempt = 0;

/** Start loading the calendar and the categories' clocks; again when a day old, and at
 *  most once a minute while the server cannot be reached. */
export function ensureWorkingCalendar(now: number = Date.now()): void {
  const cal = workingCalendar.value;
  const stale = !cal || now - cal.fetchedAt > REFRESH_MS || !categoryClocks.value;
  if (loading || !stale || now - lastAttempt < 60_000) return;
  lastAttempt = now;
  loading = load().finally(() => (loading = null));
}
