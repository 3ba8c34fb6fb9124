// Names for the generated contract types (schema.d.ts is generated from openapi.json by
// `npm run gen`; never edit it by hand). A contract change breaks `vue-tsc`, not a report.
import type { components, paths } from './schema';

type S = components['schemas'];

export type { paths };
export type Me = S['MeOut'];
export type TokenPair = S['TokenPairOut'];
export type Category = S['CategoryOut'];
export type EventOut = S['EventOut'];
export type EventDetail = S['EventDetailOut'];
export type EventSummary = S['EventSummary'];
export type EventCreate = S['EventCreateIn'];
export type Duplicate = S['DuplicateOut'];
export type Media = S['MediaOut'];
export type Task = S['TaskOut'];
export type SyncPage = S['SyncOut'];
export type Notification = S['NotificationOut'];
export type TimelineEntry = S['TimelineOut'];
export type Message = S['MessageOut'];
export type Room = S['RoomOut'];
export type Grid = S['GridOut'];
export type Verify = S['Verify'];

/** An RFC 9457 problem document, as every error of the API is. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  errors?: { field: string; message: string; source?: string }[];
  [extra: string]: unknown;
}
