/**
 * @module
 * The edge's answers the CLI reads: the edge's own types where it has them,
 * so the two cannot drift. Only types: the client checks the parts it
 * relies on.
 */
import type { DeliveryHealth } from '../edge/delivery/delivery-health.ts';
import type { DeadLetterPage, EventWindow, LedgerStatus } from '../edge/delivery/ledger-views.ts';
import type { XErrorItem } from './errors.ts';

export type { DeadLetterPage, EventWindow };

/** `GET /health` with the server key (older edges list event names only). */
export interface HealthAnswer {
  ok: boolean;
  delivery?: DeliveryHealth;
  pixel_id?: string;
  events?: Record<string, string> | string[];
  problems?: string[];
  dry_run?: boolean;
}

/**
 * The pixel's rate budget in `GET /status` (edge/routes/status.ts builds it
 * from its ledger's budget).
 */
export interface StatusBudget {
  limit: number;
  used: number;
  window_seconds: number;
  resets_at: string | null;
}

/** One pixel in `GET /status`: the ledger's view with the pixel and its budget. */
export type PixelStatus = LedgerStatus & {
  pixel_id: string;
  budget: StatusBudget;
};

/** `GET /status`: one pixel, or every pixel the key may read when the edge serves several. */
export type StatusAnswer = PixelStatus | { pixels: PixelStatus[] };

/** What `POST /dead-letters/redrive` puts back: by ids, by event and/or reason, or all (`{}`). */
export type RedriveSelector = { conversion_ids: string[] } | { event?: string; reason?: string };

/** `POST /dead-letters/redrive`: one page put back, and how many still match (absent on older edges). */
export interface RedriveAnswer {
  redriven: number;
  remaining?: number;
}

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
