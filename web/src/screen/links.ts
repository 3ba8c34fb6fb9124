// The list behind each figure: GET /events with the figure's own filters and window,
// shown by the screen's list page (/screen/list). The query names are the API's.
import type { RouteLocationRaw } from 'vue-router';

export const OPEN_STATUSES = 'reported,registered,dispatched,handling,handled,verified';

export interface ListQuery {
  title: string;
  status?: string;
  category?: string;
  street_id?: string;
  grid_id?: string;
  sla_state?: 'normal' | 'warning' | 'overdue';
  created_from?: string;
  created_to?: string;
}

export function listLink(q: ListQuery): RouteLocationRaw {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v) query[k] = v;
  return { path: '/screen/list', query };
}

// 高频 counts every event of the window but merged ones (a duplicate is not a recurrence).
export const NOT_MERGED = `${OPEN_STATUSES},closed,rejected,cancelled`;
