// What the board's filters offer: the catalogue, and the communities and grids of the
// caller's street (or the whole district), read once per page load.
import { api, unwrap } from '../api/client';
import type { Category, Grid } from '../api/types';
import type { components } from '../api/schema';

type OrgNode = components['schemas']['OrgTreeNode'];

export interface Place {
  id: string;
  name: string;
  parent_id: string | null;
}

export interface Reference {
  categories: Category[];
  communities: Place[];
  grids: (Place & { community_id: string | null })[];
  orgs: OrgNode[];
}

let loading: Promise<Reference> | null = null;

function flatten(nodes: OrgNode[], out: OrgNode[] = []): OrgNode[] {
  for (const n of nodes) {
    out.push(n);
    flatten(n.children ?? [], out);
  }
  return out;
}

async function allGrids(streetId: string | null): Promise<Grid[]> {
  const grids: Grid[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(
      api.GET('/api/v1/grids', { params: { query: { limit: 200, cursor: cursor ?? null, street_id: streetId } } }),
    );
    grids.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return grids;
}

/** Categories, communities and grids; a street dispatcher's are those of their street. */
export function reference(streetId: string | null): Promise<Reference> {
  if (loading) return loading;
  const started = (async (): Promise<Reference> => {
    const [cats, tree, grids] = await Promise.all([
      unwrap(api.GET('/api/v1/categories', {})),
      unwrap(api.GET('/api/v1/orgs', {})),
      allGrids(streetId),
    ]);
    const orgs = flatten(tree);
    const communityIds = new Set(grids.map((g) => g.community_id));
    return {
      categories: cats.items,
      orgs,
      communities: orgs
        .filter((o) => o.type === 'community' && communityIds.has(o.id))
        .map((o) => ({ id: o.id, name: o.name, parent_id: o.parent_id })),
      grids: grids.map((g) => ({ id: g.id, name: g.name, parent_id: g.community_id, community_id: g.community_id })),
    };
  })().catch((e) => {
    loading = null;
    throw e;
  });
  loading = started;
  return started;
}

/** The name of an org (grid, community, street, department) by id, when known. */
export function orgName(ref: Reference | null, id: string | null | undefined): string {
  if (!ref || !id) return '';
  return ref.orgs.find((o) => o.id === id)?.name ?? '';
}
