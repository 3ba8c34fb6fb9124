// The windows the screen asks the API about. Every figure is the API's answer for one of
// these windows (no figure is summed or derived in the browser); the list behind a figure
// is GET /events over the same window (created_from/created_to).

const DAY_MS = 86_400_000;
// Asia/Shanghai keeps UTC+8 all year (no daylight saving).
const SHANGHAI_MS = 8 * 3_600_000;

export interface StatsWindow {
  from: string;
  to: string;
  /** How the window is named on the screen. */
  label: string;
}

export function startOfShanghaiDay(now: number): number {
  const local = now + SHANGHAI_MS;
  return local - (local % DAY_MS) - SHANGHAI_MS;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function dayLabel(ms: number): string {
  const d = new Date(ms + SHANGHAI_MS);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
}

/** Today so far: Shanghai midnight to now. */
export function today(now: number): StatsWindow {
  return { from: iso(startOfShanghaiDay(now)), to: iso(now), label: '今日' };
}

/**
 * The same weekday of each of the past `weeks` weeks, from its midnight to the same time of
 * day as now: today's count so far is compared with those days' counts at the same hour.
 */
export function sameWeekdays(now: number, weeks: number): StatsWindow[] {
  const start = startOfShanghaiDay(now);
  const out: StatsWindow[] = [];
  for (let k = weeks; k >= 1; k -= 1) {
    const shift = 7 * k * DAY_MS;
    out.push({ from: iso(start - shift), to: iso(now - shift), label: dayLabel(start - shift) });
  }
  return out;
}

/** The month of the assessment, YYYY-MM in Shanghai. */
export function monthOf(now: number): string {
  const d = new Date(now + SHANGHAI_MS);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The last 30 days, the API's default window for hotspots, stated explicitly. */
export function last30Days(now: number): StatsWindow {
  return { from: iso(now - 30 * DAY_MS), to: iso(now), label: '近30天' };
}
