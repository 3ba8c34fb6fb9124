// The report outbox: nothing typed is ever lost.
//
// A report is written to IndexedDB (its photos as the exact bytes to upload, its
// Idempotency-Key = the item's id) before anything is sent. Sending is: upload each photo
// not yet uploaded (POST /media answers the same media for the same bytes from the same
// user, so a repeated upload stores nothing new), remember its media id, then POST
// /events with the item's key and a body that never changes between attempts, so a
// repeat after a lost answer gets the first answer back (Idempotent-Replayed) instead of
// a second event. Unanswered attempts, 5xx, 429 and 409 in-flight are retried with
// backoff until the server answers; a 4xx that retrying cannot fix marks the item failed,
// with the server's reason, for the person to decide.
import { api, ApiError, errorOf } from '../api/client';
import { uploadPhoto } from '../api/media';
import type { EventOut } from '../api/types';
import { db, type OutboxItem } from '../common/db';

const LOCK = 'chengyun-outbox';

export type Listener = () => void;
const listeners = new Set<Listener>();

export function onOutboxChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  listeners.forEach((l) => l());
}

export async function listOutbox(userId: string): Promise<OutboxItem[]> {
  const items = await (await db()).getAllFromIndex('outbox', 'by_user', userId);
  return items.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

async function save(item: OutboxItem): Promise<void> {
  await (await db()).put('outbox', item);
  changed();
}

export async function enqueue(
  item: Omit<OutboxItem, 'id' | 'state' | 'attempts' | 'last_error' | 'event_id' | 'case_no' | 'duplicates' | 'created_at'>,
): Promise<OutboxItem> {
  const full: OutboxItem = {
    ...item,
    id: crypto.randomUUID(),
    created_at: new Date().toISOString(),
    state: 'waiting',
    attempts: 0,
    last_error: null,
    event_id: null,
    case_no: null,
    duplicates: [],
  };
  await save(full);
  return full;
}

export async function remove(id: string): Promise<void> {
  await (await db()).delete('outbox', id);
  changed();
}

/** Sent items are kept a while to show their case number, then dropped. */
export async function pruneSent(userId: string, keepMs = 3 * 86400_000): Promise<void> {
  const cutoff = new Date(Date.now() - keepMs).toISOString();
  for (const item of await listOutbox(userId)) {
    if (item.state === 'sent' && item.created_at < cutoff) await remove(item.id);
  }
}

/** Retry later: no answer, the server busy or down, or our first attempt still running. */
function transient(e: ApiError): boolean {
  return e.unanswered || e.status >= 500 || e.status === 429 || e.code === 'idempotency_in_flight';
}

async function sendOne(item: OutboxItem): Promise<void> {
  item.state = 'uploading';
  await save(item);
  for (const photo of item.photos) {
    if (photo.media_id) continue;
    photo.media_id = (await uploadPhoto(photo.blob, photo.name)).id;
    await save(item); // remembered at once: a reload resumes after the last upload
  }
  item.state = 'sending';
  await save(item);
  const b = item.body;
  const { data, error, response } = await api.POST('/api/v1/events', {
    body: {
      category_code: b.category_code,
      description: b.description,
      location: b.location,
      grade: b.grade,
      media_ids: item.photos.map((p) => p.media_id!),
      source: 'mobile',
    },
    headers: { 'Idempotency-Key': item.id },
  });
  if (!response.ok) throw errorOf(response.status, error);
  const event = data as EventOut;
  item.state = 'sent';
  item.last_error = null;
  item.event_id = event.id;
  item.case_no = event.case_no;
  item.duplicates = (event.possible_duplicates ?? []).map((d) => ({
    id: d.id,
    case_no: d.case_no,
    distance_m: d.distance_m,
  }));
  await save(item);
}

type Outcome = 'sent' | 'retry' | 'unanswered' | 'failed' | 'logged_out';

async function attempt(item: OutboxItem): Promise<Outcome> {
  try {
    await sendOne(item);
    return 'sent';
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    item.attempts += 1;
    item.last_error = e.message;
    let outcome: Outcome;
    if (e.code === 'media_not_found') {
      // The server let go of photos that waited too long unattached: upload them again
      // (the event was not created: a failed request is not stored under its key).
      item.photos.forEach((p) => (p.media_id = null));
      outcome = 'retry';
    } else if (e.status === 401) {
      outcome = 'logged_out'; // the item waits for the next login of this user
    } else if (transient(e)) {
      outcome = e.unanswered ? 'unanswered' : 'retry';
    } else {
      outcome = 'failed';
    }
    item.state = outcome === 'failed' ? 'failed' : outcome === 'logged_out' ? 'waiting' : 'retrying';
    await save(item);
    return outcome;
  }
}

let running: Promise<boolean> | null = null;

/**
 * Send every pending item of this user, oldest first; resolves true when nothing is left
 * to retry. One flush at a time per tab, and one tab at a time (a Web Lock): the
 * idempotency key makes a doubled send harmless anyway, but it would show as "in flight"
 * and spend the phone's data twice.
 */
export function flush(userId: string): Promise<boolean> {
  running ??= (async () => {
    const run = async (): Promise<boolean> => {
      const pending = (await listOutbox(userId))
        .filter((i) => i.state !== 'sent' && i.state !== 'failed')
        .reverse();
      let done = true;
      for (const item of pending) {
        const outcome = await attempt(item);
        if (outcome === 'sent' || outcome === 'failed') continue;
        done = false;
        // No network or no login: the others would fare no better now.
        if (outcome === 'unanswered' || outcome === 'logged_out') break;
      }
      return done;
    };
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    return locks ? locks.request(LOCK, run) : run();
  })().finally(() => {
    running = null;
  });
  return running;
}

export async function retryFailed(id: string): Promise<void> {
  const item = await (await db()).get('outbox', id);
  if (!item) return;
  item.state = 'waiting';
  await save(item);
}

export function pendingCount(items: OutboxItem[]): number {
  return items.filter((i) => i.state !== 'sent').length;
}
