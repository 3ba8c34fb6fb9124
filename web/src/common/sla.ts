import { formatSpan } from './time';
import { SLA_STATE } from '../labels';
import { covers, workingMinutesBetween, type ClockKind, type WorkingCalendar } from './workcal';

export type SlaState = 'normal' | 'warning' | 'overdue';

export interface SlaView {
  state: SlaState;
  /** Colour is never alone: this text says the same thing. */
  text: string;
}

/** How the page can count: the category's clock and the server's working periods. */
export interface Counting {
  clock: ClockKind | null; // null: the category's clock is not known here
  calendar: WorkingCalendar | null;
}

/** Working time is said in hours (a working day is 7 hours, so "天" would mislead). */
function formatWorking(minutes: number): string {
  const m = Math.max(0, Math.floor(minutes));
  const h = Math.floor(m / 60);
  if (h === 0) return `${m} 分钟`;
  return m % 60 ? `${h} 小时 ${m % 60} 分钟` : `${h} 小时`;
}

/** Time left as the server counts it, or wall time marked "约" when that is not possible. */
function left(now: number, due: number, counting: Counting): string {
  const wall = (due - now) / 60000;
  if (counting.clock === 'natural') return formatSpan(wall);
  const cal = counting.calendar;
  if (counting.clock === 'working' && cal && covers(cal, now, due)) {
    return `${formatWorking(workingMinutesBetween(now, due, cal.periods))}（工作时间）`;
  }
  return `约 ${formatSpan(wall)}`;
}

/**
 * The server decides the state (on the category's clock); between refreshes the page counts
 * the time to `due_at` down on the same clock, and turns overdue when it passes (as the
 * server will). Overdue time is said in plain time.
 */
export function slaView(
  state: string | null | undefined,
  dueAt: string | null | undefined,
  now: number = Date.now(),
  counting: Counting = { clock: null, calendar: null },
): SlaView | null {
  if (!state || !dueAt) return null;
  const due = new Date(dueAt).getTime();
  const minutes = (due - now) / 60000;
  if (state === 'overdue' || minutes <= 0) {
    return { state: 'overdue', text: `${SLA_STATE.overdue} ${formatSpan(-minutes)}` };
  }
  if (state === 'warning') {
    return { state: 'warning', text: `${SLA_STATE.warning} · 剩余 ${left(now, due, counting)}` };
  }
  return { state: 'normal', text: `剩余 ${left(now, due, counting)}` };
}
