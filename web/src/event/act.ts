// Taking an action on an event, the same way from every page: an Idempotency-Key per
// decision (kept while the person retries the same thing), the event's version so a
// change by someone else is a conflict rather than an overwrite.
import { showConfirmDialog } from 'vant';
import 'vant/es/dialog/style';
import { api, ApiError, problemOf } from '../api/client';
import type { EventOut } from '../api/types';

export type ActionBody = { action: string; expected_version?: number | null; [field: string]: unknown };

export async function act(eventId: string, body: ActionBody, key: string): Promise<EventOut> {
  const { data, response } = await api.POST('/api/v1/events/{event_id}/actions', {
    params: { path: { event_id: eventId } },
    // The generated body type is the union of every action; the forms build their own.
    body: body as never,
    headers: { 'Idempotency-Key': key },
  });
  if (!response.ok) throw await problemOf(response);
  return data as EventOut;
}

/**
 * After a failed action: a version conflict or a changed state offers to reload the case
 * (resolves true when the person chose to); anything else is for the form to show.
 */
export async function offerReload(e: unknown): Promise<boolean> {
  if (!(e instanceof ApiError) || !['version_conflict', 'invalid_transition'].includes(e.code)) return false;
  try {
    await showConfirmDialog({
      title: '案件已被他人更新',
      message: `${e.message}。重新加载后再决定？`,
      confirmButtonText: '重新加载',
      cancelButtonText: '取消',
    });
    return true;
  } catch {
    return false;
  }
}

/** A fresh key for a new decision. */
export function newKey(): string {
  return crypto.randomUUID();
}
