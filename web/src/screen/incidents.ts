// War-time: the active incidents, their rooms' members and who is online (presence
// frames), and each instruction's acknowledgements (the room's messages, re-read when the
// room says something).
import { reactive } from 'vue';
import { api, problemOf, unwrap } from '../api/client';
import type { components } from '../api/schema';
import type { Message, Room } from '../api/types';
import { live } from '../api/socket';

type S = components['schemas'];
export type Incident = S['IncidentOut'];
export type Plan = S['PlanOut'];

export interface RoomView {
  room: Room | null;
  online: string[];
  instructions: Message[];
  /** Why the room cannot be shown (not a member), in words. */
  note: string;
}

export const war = reactive({
  incidents: [] as Incident[],
  plans: [] as Plan[],
  rooms: {} as Record<string, RoomView>,
});

async function loadRoom(roomId: string): Promise<void> {
  const view: RoomView = war.rooms[roomId] ?? { room: null, online: [], instructions: [], note: '' };
  war.rooms[roomId] = view;
  const r = await api.GET('/api/v1/rooms/{room_id}', { params: { path: { room_id: roomId } } });
  if (!r.response.ok) {
    view.note = r.response.status === 404 || r.response.status === 403 ? '非指挥室成员，看不到成员与指令' : (await problemOf(r.response)).message;
    return;
  }
  view.room = r.data!;
  view.note = '';
  const page = await unwrap(
    api.GET('/api/v1/rooms/{room_id}/messages', { params: { path: { room_id: roomId }, query: { limit: 200, before_seq: view.room.last_seq + 1 } } }),
  );
  view.instructions = page.items.filter((m) => m.kind === 'instruction').reverse();
  live.subscribe(roomId, view.room.last_seq);
}

export async function loadWar(): Promise<void> {
  const [incidents, plans] = await Promise.all([
    unwrap(api.GET('/api/v1/incidents', { params: { query: { active: true } } })),
    unwrap(api.GET('/api/v1/incidents/plans', {})),
  ]);
  war.incidents = incidents;
  war.plans = plans;
  await Promise.all(incidents.map((i) => loadRoom(i.room_id)));
}

export async function declare(body: S['IncidentIn'], key: string): Promise<Incident> {
  const { data, response } = await api.POST('/api/v1/incidents', {
    body,
    headers: { 'Idempotency-Key': key },
  });
  if (!response.ok) throw await problemOf(response);
  await loadWar();
  return data as Incident;
}

export function followWar(): () => void {
  const offs = [
    live.on('presence', (f) => {
      const view = war.rooms[f.room_id as string];
      if (view) view.online = (f.online as string[]) ?? [];
    }),
    live.on('message', (f) => {
      const roomId = f.room_id as string;
      const m = f.message as Message;
      if (war.rooms[roomId] && (m.kind === 'instruction' || m.kind === 'ack')) void loadRoom(roomId).catch(() => undefined);
    }),
    live.on('notification', (f) => {
      if ((f.notification as { kind?: string }).kind === 'incident_declared') void loadWar().catch(() => undefined);
    }),
  ];
  return () => {
    offs.forEach((off) => off());
    Object.keys(war.rooms).forEach((id) => live.unsubscribe(id));
  };
}
