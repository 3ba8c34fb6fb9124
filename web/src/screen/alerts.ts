// Alerts for the screen: overdue, escalated and supervised cases and declared incidents,
// from the socket's `notification` frames and `event` frames (a supervise or escalate
// action, the sweep's automatic ones included). Sound is off until someone turns it on.
import { reactive } from 'vue';
import { live, type Frame } from '../api/socket';
import type { Notification } from '../api/types';
import { oneEvent, type MapEvent } from './mapData';

export type AlertKind = 'overdue' | 'escalated' | 'supervised' | 'incident';

export interface Alert {
  key: string;
  kind: AlertKind;
  title: string;
  text: string;
  at: string;
  eventId?: string;
  roomId?: string;
  event?: MapEvent | null;
}

export const KIND_WORD: Record<AlertKind, string> = {
  overdue: '超期',
  escalated: '升级',
  supervised: '督办',
  incident: '战时',
};

const NOTIFICATION_KIND: Record<string, AlertKind> = {
  sla_overdue: 'overdue',
  escalated: 'escalated',
  supervised: 'supervised',
  incident_declared: 'incident',
};

const MAX_KEPT = 50;

export const alerts = reactive({
  items: [] as Alert[],
  sound: false,
});

function beep(): void {
  // A short tone made in the page: no sound file, no other host.
  const ctx = new AudioContext();
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = 880;
  gain.gain.value = 0.2;
  osc.connect(gain).connect(ctx.destination);
  osc.start();
  osc.stop(ctx.currentTime + 0.4);
  osc.onended = () => void ctx.close();
}

function raise(a: Alert): void {
  // One alert per case and kind: the notification and the event frame of one sweep agree.
  const i = alerts.items.findIndex((x) => x.key === a.key);
  if (i >= 0) {
    alerts.items.splice(i, 1, { ...alerts.items[i], ...a, event: a.event ?? alerts.items[i].event });
    return;
  }
  alerts.items.unshift(a);
  alerts.items.splice(MAX_KEPT);
  if (alerts.sound) beep();
}

export function dismiss(key: string): void {
  const i = alerts.items.findIndex((x) => x.key === key);
  if (i >= 0) alerts.items.splice(i, 1);
}

function fromNotification(frame: Frame): void {
  const n = frame.notification as Notification;
  const kind = NOTIFICATION_KIND[n.kind];
  if (!kind) return;
  const data = (n.data ?? {}) as Record<string, string>;
  const subject = data.event_id ?? data.room_id ?? n.id;
  raise({
    key: `${kind}:${subject}`, kind, title: n.title, text: n.body, at: n.created_at,
    eventId: data.event_id, roomId: data.room_id,
  });
}

async function fromEvent(frame: Frame): Promise<void> {
  const f = frame.event as { id: string; case_no: string; action: string; updated_at: string };
  if (f.action !== 'supervise' && f.action !== 'escalate') return;
  const event = await oneEvent(f.id);
  if (!event) return;
  // The sweep supervises a case automatically when it runs past its deadline.
  const kind: AlertKind =
    f.action === 'escalate' ? 'escalated' : event.sla_state === 'overdue' ? 'overdue' : 'supervised';
  const text =
    kind === 'overdue'
      ? `案件 ${event.case_no}（${event.category.name}）已超过处置时限，已督办`
      : kind === 'escalated'
        ? `案件 ${event.case_no}（${event.category.name}）已升级至区城运中心`
        : `案件 ${event.case_no}（${event.category.name}）被督办`;
  raise({ key: `${kind}:${f.id}`, kind, title: KIND_WORD[kind], text, at: f.updated_at, eventId: f.id, event });
}

/** Start listening; returns the stop function. */
export function listenForAlerts(): () => void {
  const offs = [
    live.on('notification', fromNotification),
    live.on('event', (f) => void fromEvent(f).catch(() => undefined)),
  ];
  return () => offs.forEach((off) => off());
}
