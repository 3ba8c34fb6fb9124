// What the one map reads from the API: grid polygons, open events, the layers' features,
// nearby features. Paged lists are followed to the end (grids) or to a cap (events).
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { OPEN_STATUSES } from './links';

type S = components['schemas'];
export type Grid = S['GridOut'];
export type MapEvent = S['EventOut'];
export type Layer = S['LayerOut'];
export type FeatureCollection = S['FeatureCollectionOut'];

export interface IncidentArea { id: string; title: string; lat: number; lng: number }

/** The most recent open events drawn; the count beside the map says when there are more. */
export const EVENT_CAP = 2000;
const PAGE = 200;

export async function allGrids(streetId: string | null): Promise<Grid[]> {
  const out: Grid[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await unwrap(
      api.GET('/api/v1/grids', {
        params: { query: { limit: 200, ...(streetId ? { street_id: streetId } : {}), ...(cursor ? { cursor } : {}) } },
      }),
    );
    out.push(...page.items);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

export async function openEvents(): Promise<{ items: MapEvent[]; more: boolean }> {
  const items: MapEvent[] = [];
  let cursor: string | undefined;
  while (items.length < EVENT_CAP) {
    const page = await unwrap(
      api.GET('/api/v1/events', {
        params: { query: { status: OPEN_STATUSES, limit: PAGE, ...(cursor ? { cursor } : {}) } },
      }),
    );
    items.push(...page.items);
    if (!page.next_cursor) return { items, more: false };
    cursor = page.next_cursor;
  }
  return { items, more: true };
}

export async function oneEvent(id: string): Promise<MapEvent | null> {
  const { data, response } = await api.GET('/api/v1/events/{event_id}', { params: { path: { event_id: id } } });
  if (response.status === 404) return null;
  if (!response.ok || !data) throw new Error(`event ${id}: ${response.status}`);
  return data;
}

export async function layers(): Promise<Layer[]> {
  return unwrap(api.GET('/api/v1/map/layers', {}));
}

export async function layerFeatures(code: string, bbox: string): Promise<FeatureCollection> {
  return unwrap(
    api.GET('/api/v1/map/layers/{code}/features', { params: { path: { code }, query: { bbox } } }),
  );
}

export async function nearby(lat: number, lng: number, radius: number): Promise<FeatureCollection> {
  return unwrap(
    api.GET('/api/v1/map/nearby', { params: { query: { lat, lng, radius_m: radius, limit: 20 } } }),
  );
}

type OrgNode = { id: string; name: string; type: string; children?: OrgNode[] | null };

/** Street names by id, from the org tree (grids carry only their street's id). */
export async function streetNames(): Promise<Map<string, string>> {
  const tree = (await unwrap(api.GET('/api/v1/orgs', {}))) as unknown as OrgNode[];
  const out = new Map<string, string>();
  const stack = [...tree];
  while (stack.length) {
    const o = stack.pop()!;
    if (o.type === 'street') out.set(o.id, o.name);
    stack.push(...(o.children ?? []));
  }
  return out;
}
