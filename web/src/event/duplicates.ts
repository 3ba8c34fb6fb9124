// Possible duplicates of a case, read from the public list: open events of the same
// category within the category's duplicate radius (the rule of `possible_duplicates`),
// plus the event the server linked it to (`duplicate_of`), nearest first.
import { api, unwrap } from '../api/client';
import type { EventDetail, EventOut } from '../api/types';

const OPEN = 'reported,registered,dispatched,handling,handled,verified';
const M_PER_DEG = 111_320;

export interface Candidate {
  event: EventOut;
  distance_m: number;
}

function distance(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const dy = (a.lat - b.lat) * M_PER_DEG;
  const dx = (a.lng - b.lng) * M_PER_DEG * Math.cos((a.lat * Math.PI) / 180);
  return Math.hypot(dx, dy);
}

export async function duplicateCandidates(event: EventDetail, radiusM: number): Promise<Candidate[]> {
  const { lat, lng } = event.location;
  const dLat = radiusM / M_PER_DEG;
  const dLng = radiusM / (M_PER_DEG * Math.cos((lat * Math.PI) / 180));
  const bbox = [lng - dLng, lat - dLat, lng + dLng, lat + dLat].map((v) => v.toFixed(6)).join(',');
  const page = await unwrap(
    api.GET('/api/v1/events', { params: { query: { category: event.category.code, status: OPEN, bbox, limit: 20 } } }),
  );
  const found = page.items.filter((e) => e.id !== event.id);
  if (event.duplicate_of && !found.some((e) => e.id === event.duplicate_of)) {
    try {
      found.unshift(
        await unwrap(api.GET('/api/v1/events/{event_id}', { params: { path: { event_id: event.duplicate_of } } })),
      );
    } catch {
      // Linked to a case this caller cannot read: nothing to show side by side.
    }
  }
  return found
    .map((e) => ({ event: e, distance_m: distance(event.location, e.location) }))
    .filter((c) => c.distance_m <= radiusM || c.event.id === event.duplicate_of)
    .sort((a, b) => Number(b.event.id === event.duplicate_of) - Number(a.event.id === event.duplicate_of) || a.distance_m - b.distance_m);
}
