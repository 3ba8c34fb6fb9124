// The screen's figures, each straight from the API for its window and the caller's scope
// (the server narrows a street dispatcher to their street). Refreshed periodically and,
// for today's figures, shortly after any live `event` frame: never by reloading the page.
import { reactive } from 'vue';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { live } from '../api/socket';
import { last30Days, monthOf, sameWeekdays, today, type StatsWindow } from './windows';

type S = components['schemas'];
export type Overview = S['OverviewOut'];
export type Hotspots = S['HotspotsOut'];
export type Assessment = S['AssessmentOut'];

export const PAST_WEEKS = 4;
const TODAY_EVERY_MS = 30_000;
const SLOW_EVERY_MS = 300_000;
// Frames come in bursts (a report and its accept, a sweep's batch): one read per burst.
const AFTER_FRAME_MS = 300;

export interface Trend {
  window: StatsWindow;
  overview: Overview;
}

export const figures = reactive({
  today: null as Overview | null,
  trend: [] as Trend[],
  hotspots: null as Hotspots | null,
  assessment: null as Assessment | null,
  error: '' as string,
  /** When today's figures were last read (ms), shown as "更新于". */
  readAt: 0,
});

async function overviewOf(w: StatsWindow): Promise<Overview> {
  return unwrap(api.GET('/api/v1/stats/overview', { params: { query: { from: w.from, to: w.to } } }));
}

export async function loadToday(): Promise<void> {
  const now = Date.now();
  figures.today = await overviewOf(today(now));
  figures.readAt = now;
}

async function loadTrend(): Promise<void> {
  const windows = sameWeekdays(Date.now(), PAST_WEEKS);
  const answers = await Promise.all(windows.map(overviewOf));
  figures.trend = windows.map((window, i) => ({ window, overview: answers[i] }));
}

async function loadHotspots(): Promise<void> {
  const w = last30Days(Date.now());
  figures.hotspots = await unwrap(
    api.GET('/api/v1/stats/hotspots', { params: { query: { from: w.from, to: w.to, limit: 20 } } }),
  );
}

async function loadAssessment(): Promise<void> {
  figures.assessment = await unwrap(
    api.GET('/api/v1/stats/assessment', { params: { query: { month: monthOf(Date.now()) } } }),
  );
}

async function guarded(work: Promise<unknown>): Promise<void> {
  try {
    await work;
    figures.error = '';
  } catch (e) {
    figures.error = e instanceof Error ? e.message : String(e);
  }
}

/** Today's figures first (the first paint), then the rest. */
export async function loadAll(): Promise<void> {
  await guarded(loadToday());
  await guarded(Promise.all([loadTrend(), loadHotspots(), loadAssessment()]));
}

/** Keep the figures live while the screen is open; returns the stop function. */
export function follow(): () => void {
  let pending: ReturnType<typeof setTimeout> | null = null;
  const soon = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      void guarded(Promise.all([loadToday(), loadHotspots()]));
    }, AFTER_FRAME_MS);
  };
  const offEvent = live.on('event', soon);
  // After a drop the frames missed are not replayed: read everything again (the first
  // `ready` needs nothing: the first read is under way).
  let connectedBefore = live.ready;
  const offReady = live.on('ready', () => {
    if (connectedBefore) void loadAll();
    connectedBefore = true;
  });
  const fast = setInterval(() => void guarded(loadToday()), TODAY_EVERY_MS);
  const slow = setInterval(
    () => void guarded(Promise.all([loadTrend(), loadHotspots(), loadAssessment()])),
    SLOW_EVERY_MS,
  );
  return () => {
    offEvent();
    offReady();
    clearInterval(fast);
    clearInterval(slow);
    if (pending) clearTimeout(pending);
  };
}
