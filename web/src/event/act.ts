// Taking an action on a case: one Idempotency-Key per decision, kept across retries of
// that decision (no answer, 5xx, 429, in flight), so a retry never acts twice; the event's
// version is sent as expected_version, so a case someone else changed meanwhile answers
// 409 version_conflict instead of being acted on blind.
import { api, ApiError, problemOf } from '../api/client';
import type { components } from '../api/schema';
import type { EventDetail } from '../api/types';

export type ActionBody =
  components['schemas'][
    | 'Accept' | 'Reject' | 'Dispatch' | 'Start' | 'Return' | 'ReportDone' | 'Verify' | 'Close'
    | 'Visit' | 'Reopen' | 'Cancel' | 'Merge' | 'RequestExtension' | 'DecideExtension'
    | 'Supervise' | 'Escalate' | 'Comment'
  ];

const ATTEMPTS = 4;

function retriable(e: ApiError): boolean {
  return e.unanswered || e.status >= 500 || e.status === 429 || e.code === 'idempotency_in_flight';
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A new decision: its key. Keep it for every retry of the same decision. */
export function newDecisionKey(): string {
  return crypto.randomUUID();
}

export async function act(eventId: string, body: ActionBody, key: string): Promise<EventDetail> {
  let last: ApiError | null = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt) await pause(500 * 2 ** attempt);
    try {
      const { data, response } = await api.POST('/api/v1/events/{event_id}/actions', {
        params: { path: { event_id: eventId } },
        body,
        headers: { 'Idempotency-Key': key },
      });
      if (response.ok) return data as EventDetail;
      last = await problemOf(response);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      last = e;
    }
    if (!retriable(last)) break;
  }
  throw last!;
}
