import { formatSpan } from './time';
import { SLA_STATE } from '../labels';

export type SlaState = 'normal' | 'warning' | 'overdue';

export interface SlaView {
  state: SlaState;
  /** Colour is never alone: this text says the same thing. */
  text: string;
}

/**
 * The server decides the state (on the working calendar); between refreshes the page only
 * counts the time to `due_at` down, and turns overdue when it passes (as the server will).
 * Time left is shown in plain hours, which on the working calendar is an upper bound.
 */
export function slaView(
  state: string | null | undefined,
  dueAt: string | null | undefined,
  now: number = Date.now(),
): SlaView | null {
  if (!state || !dueAt) return null;
  const minutes = (new Date(dueAt).getTime() - now) / 60000;
  if (state === 'overdue' || minutes <= 0) {
    return { state: 'overdue', text: `${SLA_STATE.overdue} ${formatSpan(-minutes)}` };
  }
  if (state === 'warning') {
    return { state: 'warning', text: `${SLA_STATE.warning} · 剩余 ${formatSpan(minutes)}` };
  }
  return { state: 'normal', text: `剩余 ${formatSpan(minutes)}` };
}
