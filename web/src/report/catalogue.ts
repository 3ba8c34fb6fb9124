// Reference data the report form needs offline: the category catalogue, and the grids of
// the worker's street for the map. Each is read from the last copy in IndexedDB first,
// then refreshed from the server when it answers.
import { api, unwrap } from '../api/client';
import type { Category, Grid } from '../api/types';
import { readKv, writeKv } from '../common/db';

export async function cachedCategories(): Promise<Category[]> {
  return (await readKv<Category[]>('categories')) ?? [];
}

export async function fetchCategories(): Promise<Category[]> {
  const page = await unwrap(api.GET('/api/v1/categories', {}));
  await writeKv('categories', JSON.parse(JSON.stringify(page.items)));
  return page.items;
}

export interface Place {
  grid: string;
  community: string;
  street: string;
  street_id: string;
}

/** The grid, community and street of a point, or null outside the district. */
export async function locate(lat: number, lng: number): Promise<Place | null> {
  const { data, response } = await api.GET('/api/v1/locate', { params: { query: { lat, lng } } });
  if (response.status === 422 || !data) return null;
  const d = data as unknown as Record<string, { id: string; name: string }>;
  return { grid: d.grid.name, community: d.community.name, street: d.street.name, street_id: d.street.id };
}

/** The grids of a street, for the map (cached for offline use). */
export async function gridsOfStreet(streetId: string): Promise<Grid[]> {
  const key = `grids:${streetId}`;
  try {
    const out: Grid[] = [];
    let cursor: string | undefined;
    do {
      const page = await unwrap(
        api.GET('/api/v1/grids', { params: { query: { street_id: streetId, limit: 200, ...(cursor ? { cursor } : {}) } } }),
      );
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    await writeKv(key, JSON.parse(JSON.stringify(out)));
    return out;
  } catch {
    return (await readKv<Grid[]>(key)) ?? [];
  }
}
