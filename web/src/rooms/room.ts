// One dispatch room as a page sees it: history paged from the server, live messages over
// the one socket (subscribed with since_seq, so a drop loses and doubles nothing), sends
// keyed by client_msg_id and resent after a reconnect until the server answers `sent`
// (a resend is answered with the first seq, never posted twice), presence, and each
// instruction's acknowledgements kept current from the `ack` messages as they arrive.
import { computed, onBeforeUnmount, reactive, ref, shallowRef } from 'vue';
import { api, ApiError, unwrap } from '../api/client';
import type { Message, Room } from '../api/types';
import { live, type Frame } from '../api/socket';

export interface Pending {
  frame: Frame & { client_msg_id: string };
  error: string;
}

const PAGE = 50;

export function useRoom(roomId: string) {
  const room = shallowRef<Room | null>(null);
  const messages = ref<Message[]>([]);
  const pending = ref<Pending[]>([]);
  const online = reactive(new Set<string>());
  const error = ref('');
  const hasOlder = ref(false);
  const subscribed = ref(false);
  const bySeq = new Map<number, Message>();

  const lastSeq = computed(() => messages.value.at(-1)?.seq ?? 0);

  /** Who has acknowledged each instruction (by its seq), from `acked` and later ack messages. */
  const acked = reactive(new Map<number, Set<string>>());

  function noteAck(m: Message): void {
    if (m.kind === 'ack' && m.ack_of_seq != null && m.sender) {
      let set = acked.get(m.ack_of_seq);
      if (!set) acked.set(m.ack_of_seq, (set = new Set()));
      set.add(m.sender.user_id);
    }
    if (m.instruction) {
      let set = acked.get(m.seq);
      if (!set) acked.set(m.seq, (set = new Set()));
      m.instruction.acked.forEach((u) => set!.add(u));
    }
  }

  function add(list: Message[]): void {
    let fresh = false;
    for (const m of list) {
      if (bySeq.has(m.seq)) continue;
      bySeq.set(m.seq, m);
      noteAck(m);
      fresh = true;
      if (m.client_msg_id) pending.value = pending.value.filter((p) => p.frame.client_msg_id !== m.client_msg_id);
    }
    if (fresh) messages.value = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  async function load(): Promise<void> {
    error.value = '';
    try {
      room.value = await unwrap(api.GET('/api/v1/rooms/{room_id}', { params: { path: { room_id: roomId } } }));
      const page = await unwrap(
        api.GET('/api/v1/rooms/{room_id}/messages', {
          params: { path: { room_id: roomId }, query: { before_seq: room.value.last_seq + 1, limit: PAGE } },
        }),
      );
      add(page.items);
      hasOlder.value = (page.items[0]?.seq ?? 1) > 1;
      live.subscribe(roomId, lastSeq.value);
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : '读取失败';
    }
  }

  async function older(): Promise<void> {
    const first = messages.value[0]?.seq;
    if (!first || first <= 1) {
      hasOlder.value = false;
      return;
    }
    const page = await unwrap(
      api.GET('/api/v1/rooms/{room_id}/messages', {
        params: { path: { room_id: roomId }, query: { before_seq: first, limit: PAGE } },
      }),
    );
    add(page.items);
    hasOlder.value = (page.items[0]?.seq ?? 1) > 1;
  }

  // More was missed than the server replays: page forward over HTTP up to its last seq.
  async function fillTo(last: number): Promise<void> {
    while (lastSeq.value < last) {
      const page = await unwrap(
        api.GET('/api/v1/rooms/{room_id}/messages', {
          params: { path: { room_id: roomId }, query: { after_seq: lastSeq.value, limit: 200 } },
        }),
      );
      if (!page.items.length) break;
      add(page.items);
    }
  }

  function sendFrame(p: Pending): void {
    p.error = '';
    if (live.send(p.frame)) return;
    // The socket is down: it goes out when the socket is back (`ready` below).
  }

  function send(body: { kind: 'text' | 'instruction'; text: string; mentions?: string[]; targets?: string[]; due_at?: string }): void {
    const frame = { op: 'send', room_id: roomId, client_msg_id: crypto.randomUUID(), ...body };
    const p = reactive<Pending>({ frame, error: '' });
    pending.value.push(p);
    sendFrame(p);
  }

  function retry(p: Pending): void {
    sendFrame(p);
  }

  /** Acknowledge an instruction, over the socket, or over HTTP when it is down. */
  async function ack(seq: number, text: string): Promise<void> {
    if (live.send({ op: 'ack', room_id: roomId, seq, ...(text ? { text } : {}) })) return;
    const m = await unwrap(
      api.POST('/api/v1/rooms/{room_id}/messages/{seq}/ack', {
        params: { path: { room_id: roomId, seq } },
        body: { text },
      }),
    );
    add([m]);
  }

  const offs = [
    live.on('message', (f) => {
      if (f.room_id === roomId) add([f.message as Message]);
    }),
    live.on('subscribed', (f) => {
      if (f.room_id !== roomId) return;
      subscribed.value = true;
      if (!f.recovered) fillTo(Number(f.last_seq)).catch(() => undefined);
    }),
    live.on('presence', (f) => {
      if (f.room_id !== roomId) return;
      online.clear();
      (f.online as string[]).forEach((u) => online.add(u));
    }),
    live.on('sent', (f) => {
      if (f.room_id !== roomId) return;
      pending.value = pending.value.filter((p) => p.frame.client_msg_id !== f.client_msg_id);
      if (!bySeq.has(Number(f.seq))) fillTo(Number(f.seq)).catch(() => undefined);
    }),
    live.on('error', (f) => {
      const p = pending.value.find((x) => x.frame.client_msg_id === f.ref);
      if (p) p.error = String(f.detail ?? f.code);
    }),
    live.on('closed', () => {
      subscribed.value = false;
    }),
    // Back after a drop: the socket resubscribes with since_seq by itself; unanswered
    // sends go again with their client_msg_id (answered with the first seq if they landed).
    live.on('ready', () => pending.value.forEach(sendFrame)),
  ];
  onBeforeUnmount(() => {
    offs.forEach((off) => off());
    live.unsubscribe(roomId);
  });

  return { room, messages, pending, online, error, hasOlder, subscribed, acked, load, older, send, retry, ack };
}
