import { authFetch, problemOf } from './client';
import type { Media } from './types';

const UPLOAD_TIMEOUT_MS = 120_000;

/**
 * Upload one photo. Retry-safe without a key: the server answers the same media (200) when
 * this user uploads the same bytes again, so callers keep and resend the exact bytes.
 */
export async function uploadPhoto(blob: Blob, name: string): Promise<Media> {
  const form = new FormData();
  form.append('file', blob, name);
  const res = await authFetch(new Request('/api/v1/media', { method: 'POST', body: form }), UPLOAD_TIMEOUT_MS);
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as Media;
}
