// The one WebSocket: the auth frame first, reconnect with backoff, and every subscribed
// room resubscribed with `since_seq` (the last seq this page saw), so nothing is missed or
// doubled across a drop. Pages listen to frames by `op`; rooms remember their last seq.
import { accessToken, onSessionChange, refresh } from '../auth/session';

export type Frame = { op: string; [k: string]: unknown };
type Handler = (frame: Frame) => void;

const CLOSE_AUTH = 4001;
const MAX_BACKOFF_MS = 30_000;

export class LiveSocket {
  private ws: WebSocket | null = null;
  private handlers = new Map<string, Set<Handler>>();
  private rooms = new Map<string, number>(); // room_id → last seq seen
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private wanted = false;
  /** True between `ready` and the socket's close. */
  ready = false;

  constructor(private readonly url: string) {}

  start(): void {
    this.wanted = true;
    if (!this.ws) this.connect();
  }

  stop(): void {
    this.wanted = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ws?.close(1000);
    this.ws = null;
    this.ready = false;
    this.rooms.clear();
  }

  on(op: string, handler: Handler): () => void {
    let set = this.handlers.get(op);
    if (!set) this.handlers.set(op, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  /** Follow a room from `sinceSeq` (the last message the page has), now and after drops. */
  subscribe(roomId: string, sinceSeq = 0): void {
    this.rooms.set(roomId, Math.max(sinceSeq, this.rooms.get(roomId) ?? 0));
    if (this.ready) this.sendFrame(this.subscribeFrame(roomId));
  }

  unsubscribe(roomId: string): void {
    this.rooms.delete(roomId);
    if (this.ready) this.sendFrame({ op: 'unsubscribe', room_id: roomId });
  }

  /** Send a frame now; false when the socket is not ready (the caller keeps it to resend). */
  send(frame: Frame): boolean {
    if (!this.ready) return false;
    return this.sendFrame(frame);
  }

  /** A refreshed token moves the open socket's end instead of forcing a reconnect. */
  reauth(token: string): void {
    if (this.ready) this.sendFrame({ op: 'auth', token });
  }

  private subscribeFrame(roomId: string): Frame {
    const since = this.rooms.get(roomId) ?? 0;
    return since > 0
      ? { op: 'subscribe', room_id: roomId, since_seq: since }
      : { op: 'subscribe', room_id: roomId };
  }

  private sendFrame(frame: Frame): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private emit(frame: Frame): void {
    this.handlers.get(frame.op)?.forEach((h) => h(frame));
    this.handlers.get('*')?.forEach((h) => h(frame));
  }

  private connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = async () => {
      try {
        // The token goes in the first frame, never in the URL (URLs end up in logs).
        ws.send(JSON.stringify({ op: 'auth', token: await accessToken() }));
      } catch {
        ws.close();
      }
    };
    ws.onmessage = (e) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(e.data)) as Frame;
      } catch {
        return;
      }
      this.handle(frame);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const wasReady = this.ready;
      this.ready = false;
      if (wasReady) this.emit({ op: 'closed', code: e.code });
      if (!this.wanted) return;
      if (e.code === CLOSE_AUTH) {
        // Expired or revoked: refresh (which logs out when the login is over), then retry.
        refresh().then(() => this.schedule(), () => this.stop());
        return;
      }
      this.schedule();
    };
  }

  private handle(frame: Frame): void {
    switch (frame.op) {
      case 'ready':
        if (!this.ready) {
          this.ready = true;
          this.attempt = 0;
          for (const room of this.rooms.keys()) this.sendFrame(this.subscribeFrame(room));
        }
        break;
      case 'ping':
        this.sendFrame({ op: 'pong' });
        return;
      case 'message': {
        const room = frame.room_id as string;
        const seq = (frame.message as { seq?: number } | undefined)?.seq ?? 0;
        if (this.rooms.has(room)) this.rooms.set(room, Math.max(seq, this.rooms.get(room)!));
        break;
      }
    }
    this.emit(frame);
  }

  private schedule(): void {
    if (!this.wanted || this.timer) return;
    // Exponential backoff with jitter, so a restarted server is not hit by every phone at once.
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.wanted && !this.ws) this.connect();
    }, delay);
  }
}

function socketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/v1/ws`;
}

/** The page's one socket, started while someone is logged in. */
export const live = new LiveSocket(socketUrl());

onSessionChange((user) => {
  if (!user) live.stop();
});

export function reconnectNow(): void {
  live.start();
}
