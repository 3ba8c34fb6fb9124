// Taking an action on a case, the same way from every page and form: one Idempotency-Key
// per decision, kept across retries of that decision (no answer, 5xx, 429, in flight), so
// a retry never acts twice; the event's version as expected_version, so a case someone
// else changed meanwhile answers 409 version_conflict instead of being acted on blind.
import { showConfirmDialog } from 'vant';
import 'vant/es/dialog/style';
import { api, ApiError, errorOf } from '../api/client';
import type { EventDetail } from '../api/types';

/** The generated body type is the union of every action; the forms build their own. */
export type ActionBody = { action: string; expected_version?: number | null; [field: string]: unknown };

const ATTEMPTS = 4;

function retriable(e: ApiError): boolean {
  return e.unanswered || e.status >= 500 || e.status === 429 || e.code === 'idempotency_in_flight';
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fresh key for a new decision. Keep it for every retry of the same decision. */
export function newKey(): string {
  return crypto.randomUUID();
}

export async function act(eventId: string, body: ActionBody, key: string): Promise<EventDetail> {
  let last: ApiError | null = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt) await pause(500 * 2 ** attempt);
    try {
      const { data, error, response } = await api.POST('/api/v1/events/{event_id}/actions', {
        params: { path: { event_id: eventId } },
        body: body as never,
        headers: { 'Idempotency-Key': key },
      });
      if (response.ok) return data as EventDetail;
      last = errorOf(response.status, error);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      last = e;
    }
    if (!retriable(last)) break;
  }
  throw last!;
}

/** Someone else changed the case (or its state moved on): the decision must be re-made. */
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && ['version_conflict', 'invalid_transition'].includes(e.code);
}

/**
 * After a failed action: a version conflict or a changed state offers to reload the case
 * (resolves true when the person chose to); anything else is for the form to show.
 */
export async function offerReload(e: unknown): Promise<boolean> {
  if (!isConflict(e)) return false;
  try {
    await showConfirmDialog({
      title: '案件已被他人修改',
      message: (e as ApiError).message,
      confirmButtonText: '重新载入',
      cancelButtonText: '稍后',
    });
    return true;
  } catch {
    return false;
  }
}
