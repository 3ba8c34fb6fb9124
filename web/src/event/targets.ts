// Whom a case may be dispatched to, as the rules allow (docs/api.md "Dispatch targets"):
// district dispatchers any department, street or community; street dispatchers any
// department, or their own street (register-dispatch within the street) or its communities.
import type { Reference } from '../triage/reference';

export interface OrgGroup {
  label: string;
  orgs: { id: string; name: string }[];
}

export function dispatchTargets(ref: Reference | null, role: string | null, myOrgId: string | null): OrgGroup[] {
  if (!ref) return [];
  const pick = (type: string, keep: (o: { id: string; parent_id: string | null }) => boolean = () => true) =>
    ref.orgs.filter((o) => o.type === type && keep(o)).map((o) => ({ id: o.id, name: o.name }));
  const departments = { label: '委办局', orgs: pick('department') };
  if (role === 'street_dispatcher') {
    return [
      departments,
      { label: '本街道（街道自办）', orgs: pick('street', (o) => o.id === myOrgId) },
      { label: '社区', orgs: pick('community', (o) => o.parent_id === myOrgId) },
    ];
  }
  return [departments, { label: '街道', orgs: pick('street') }, { label: '社区', orgs: pick('community') }];
}
