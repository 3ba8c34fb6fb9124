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

type OrgNode = { id: string; type: string; children: OrgNode[] };

/** The street above an org (a grid worker's grid), from the org tree. */
async function streetOf(orgId: string): Promise<string | null> {
  const tree = (await unwrap(api.GET('/api/v1/orgs', {}))) as unknown as OrgNode[];
  const walk = (nodes: OrgNode[], street: string | null): string | null => {
    for (const n of nodes) {
      const here = n.type === 'street' ? n.id : street;
      if (n.id === orgId) return here;
      const found = walk(n.children, here);
      if (found) return found;
    }
    return null;
  };
  return walk(tree, null);
}

/**
 * Where the map starts without a position: the middle of the worker's own grid, with the
 * grids of its street around it (cached for offline use).
 */
export async function homeArea(orgId: string): Promise<{ center: [number, number] | null; grids: Grid[] }> {
  const key = `home:${orgId}`;
  let street = await readKv<string>(key);
  if (!street) {
    try {
      street = (await streetOf(orgId)) ?? undefined;
      if (street) await writeKv(key, street);
    } catch {
      street = undefined;
    }
  }
  if (!street) return { center: null, grids: [] };
  const grids = await gridsOfStreet(street);
  const mine = grids.find((g) => g.id === orgId);
  const ring = (mine?.boundary as { coordinates?: number[][][] } | undefined)?.coordinates?.[0];
  if (!ring?.length) return { center: null, grids };
  const lng = ring.reduce((a, p) => a + p[0], 0) / ring.length;
  const lat = ring.reduce((a, p) => a + p[1], 0) / ring.length;
  return { center: [lat, lng], grids };
}
