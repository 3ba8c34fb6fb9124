// How things look on the one map: few colours, each with a word in the legend.
import L from './leaflet';
import type { MapEvent } from './mapData';
import { label, SLA_STATE, STATUS } from '../labels';

/** The area drawn around a declared incident's place (its response radius on the map). */
export const INCIDENT_RADIUS_M = 1000;

const FINAL = new Set(['closed', 'rejected', 'cancelled', 'merged']);
export function isOpen(status: string): boolean {
  return !FINAL.has(status);
}

const SLA_COLOUR: Record<string, string> = { overdue: '#ff4d4f', warning: '#f5a524', normal: '#3b9cff' };
const NO_SLA = '#9aa9bf';

export function eventMarker(e: MapEvent): L.CircleMarker {
  const state = e.sla_state ?? '';
  const colour = SLA_COLOUR[state] ?? NO_SLA;
  const late = state === 'overdue';
  const m = L.circleMarker([e.location.lat, e.location.lng], {
    radius: late ? 9 : 7,
    color: '#0b1626',
    weight: 1,
    fillColor: colour,
    fillOpacity: 0.95,
    late,
  } as L.CircleMarkerOptions & { late: boolean });
  const sla = state ? ` · ${label(SLA_STATE, state)}` : '';
  m.bindTooltip(`${e.case_no} ${e.category.name} · ${label(STATUS, e.status)}${sla}`);
  return m;
}

const LAYER_COLOUR: Record<string, string> = {
  hazards: '#ff7a45',
  supplies: '#2fbf71',
  rescue_teams: '#36cfc9',
  shelters: '#b37feb',
};

export function featureStyle(code: string): L.PathOptions {
  const c = LAYER_COLOUR[code] ?? '#e6edf7';
  return { color: c, weight: 2, fillColor: c, fillOpacity: 0.6 };
}

// Streets alternate between two quiet fills so the boundaries read without a rainbow.
const streetShade = new Map<string, number>();
export function gridStyle(streetId: string): L.PathOptions {
  if (!streetShade.has(streetId)) streetShade.set(streetId, streetShade.size);
  const i = streetShade.get(streetId)!;
  return {
    color: '#3d5678',
    weight: 1,
    fillColor: i % 2 ? '#15263d' : '#1b3050',
    fillOpacity: 0.9,
  };
}
