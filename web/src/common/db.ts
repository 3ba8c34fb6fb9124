// The page's one IndexedDB database: the report outbox and the offline copies of what
// the server said last (the inbox), each keyed by user so a shared phone never mixes them.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export interface StoredPhoto {
  /** The exact bytes that are uploaded, so a retry is recognised by the server (sha256). */
  blob: Blob;
  name: string;
  media_id: string | null;
}

export interface OutboxItem {
  id: string; // also the Idempotency-Key of its POST /events
  user_id: string;
  created_at: string;
  body: {
    category_code: string;
    category_name: string;
    description: string;
    location: { lat: number; lng: number; address?: string | null };
    grade: number;
  };
  photos: StoredPhoto[];
  state: 'waiting' | 'uploading' | 'sending' | 'retrying' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  event_id: string | null;
  case_no: string | null;
  duplicates: { id: string; case_no: string; distance_m: number }[];
}

interface Schema extends DBSchema {
  outbox: { key: string; value: OutboxItem; indexes: { by_user: string } };
  kv: { key: string; value: unknown };
}

let opening: Promise<IDBPDatabase<Schema>> | null = null;

export function db(): Promise<IDBPDatabase<Schema>> {
  opening ??= openDB<Schema>('chengyun', 1, {
    upgrade(database) {
      const outbox = database.createObjectStore('outbox', { keyPath: 'id' });
      outbox.createIndex('by_user', 'user_id');
      database.createObjectStore('kv');
    },
  });
  return opening;
}

export async function readKv<T>(key: string): Promise<T | undefined> {
  return (await (await db()).get('kv', key)) as T | undefined;
}

export async function writeKv(key: string, value: unknown): Promise<void> {
  await (await db()).put('kv', value, key);
}
