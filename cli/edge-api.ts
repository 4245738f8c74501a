/**
 * @module
 * The edge's answers the CLI reads, as the edge's HTTP interface defines
 * them. Only types: the client checks the parts it relies on.
 */
import type { EventWindow } from '../edge/delivery/ledger-views.ts';
import type { XErrorItem } from './errors.ts';

export interface DeliveryState {
  state: 'ok' | 'degraded' | 'blocked';
  since: string;
  reason: string | null;
}

/** `GET /health` with the server key (older edges list event names only). */
export interface HealthAnswer {
  ok: boolean;
  delivery?: DeliveryState;
  pixel_id?: string;
  events?: Record<string, string> | string[];
  problems?: string[];
  dry_run?: boolean;
}

/** One event's counts in a `/status` window: the edge's own type for that answer. */
export type { EventWindow };

/** `GET /status`. */
export interface StatusAnswer {
  pixel_id: string;
  delivery: DeliveryState;
  windows: Record<string, { events: Record<string, EventWindow> }>;
  budget: { limit: number; used: number; window_seconds: number; resets_at: string | null };
  last_error: null | { at: string; status: number; code: string; message: string };
}

export interface DeadLetter {
  conversion_id: string;
  event: string;
  reason: string;
  message: string;
  status: number | null;
  accepted_at: string;
  dead_at: string;
}

/** `GET /dead-letters`. */
export interface DeadLettersPage {
  dead_letters: DeadLetter[];
  next_cursor: string | null;
}

/** What `POST /dead-letters/redrive` puts back: by ids, by event and/or reason, or all (`{}`). */
export type RedriveSelector = { conversion_ids: string[] } | { event?: string; reason?: string };

/** `POST /events/verify`. */
export interface VerifyAnswer {
  x_status: number;
  x_body: unknown;
  conversion_id: string;
}

/** `POST /events`, 202. */
export interface AcceptedAnswer {
  accepted: number;
  conversion_ids: string[];
  warnings?: XErrorItem[];
}
