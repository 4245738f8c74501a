/**
 * @module
 * What travels on the delivery queues. One conversion per message: Cloudflare
 * caps a message at 128 KB, and X's 500-per-request limit is met by the
 * consumer grouping messages, not by the producer. Everything here is already
 * safe to store: emails and phones were hashed by ingest before enqueueing.
 */
import type { WebhookSource } from '../webhooks/webhook-event.ts';
import type { XConversion } from '../x-api/conversion.ts';

/**
 * Name of the dead letter queue in wrangler.toml, where Cloudflare moves
 * messages that ran out of `max_retries`; the queue handler routes on it.
 */
export const DEAD_LETTER_QUEUE_NAME = 'x-capi-deliveries-dlq';

/** Cloudflare's limit of messages per `sendBatch` call. */
export const MAX_MESSAGES_PER_SEND = 100;

/**
 * Who sent a conversion: `server` (a call with the server key) or `browser`
 * (a beacon or form, which anyone can forge). Server copies win dedup and
 * budget; see edge/delivery/rate-budget.ts.
 */
export type ConversionSource = 'server' | 'browser';

/** One accepted conversion waiting to be delivered to X. */
export interface DeliveryMessage {
  /** The pixel (Universal Website Tag) the conversion belongs to. */
  pixelId: string;
  /** Absent on messages queued by earlier versions, which count as `server` (as they did). */
  source?: ConversionSource;
  /** The shop webhook a server copy came from (absent: a `POST /events` call), for `/status`. */
  via?: WebhookSource;
  /** The conversion without its `{ip_address, user_agent}` identifier (see `sealedAddress`). */
  conversion: XConversion;
  /** That identifier, AES-GCM sealed (./seal-address.ts): no raw IP is ever queued. */
  sealedAddress?: string;
  /**
   * The tag `sealedAddress` was sealed with (it is associated data), kept when
   * the conversion's tag was corrected since (see `event`).
   */
  sealedEventId?: string;
  /**
   * The event's name in `X_EVENTS`. The consumer resolves the tag from it again
   * before each send, so a corrected `X_EVENTS` entry reaches conversions that
   * were already waiting (X refused the old tag with a 404).
   */
  event?: string;
  /** When ingest accepted it (epoch milliseconds), to measure delivery lag. */
  acceptedAt: number;
  /** Sent even while the pixel's deliveries are held: the ledger's probe of whether X accepts again. */
  probe?: boolean;
  /**
   * Failed sends before this message was re-enqueued (a wait for budget or
   * X's 429 re-enqueues instead of retrying); backoff counts from here.
   */
  failures?: number;
}

/** Who sent it; messages queued before copies had a source count as server copies. */
export function sourceOf(message: Pick<DeliveryMessage, 'source'>): ConversionSource {
  return message.source ?? 'server';
}

/** The message without what one delivery attempt added (probe flag, failures): how the ledger keeps it. */
export function withoutAttempt(body: DeliveryMessage): DeliveryMessage {
  const { probe: _probe, failures: _failures, ...kept } = body;
  return kept;
}

/** Dedup key: X deduplicates by conversion id per event, so the same id on two events is two conversions. */
export function dedupKey(conversion: XConversion): string {
  return `${conversion.event_id}:${conversion.conversion_id}`;
}

/**
 * The event a message belongs to, as operators name it: its `X_EVENTS` name,
 * or the tag for messages queued without one.
 */
export function eventName(message: DeliveryMessage): string {
  return message.event ?? message.conversion.event_id;
}

/**
 * The ledger's key for a conversion: event name and conversion id. Unlike
 * `dedupKey` it survives a corrected tag.
 */
export function ledgerKey(message: DeliveryMessage): string {
  return `${eventName(message)}:${message.conversion.conversion_id}`;
}

const BROWSER_CLAIM_PREFIX = 'browser/';

/**
 * What the consumer asks `RateBudget` for: the dedup key, prefixed `browser/`
 * for a browser copy (event tag ids never contain `/`, so the prefix cannot
 * be forged by an id). One string keeps reservation answers matched to the
 * copy that asked.
 *
 * @example
 * claimKey({ ...msg, source: 'browser' }); // 'browser/o9d2g:order-1'
 */
export function claimKey(message: Pick<DeliveryMessage, 'conversion' | 'source'>): string {
  const key = dedupKey(message.conversion);
  return message.source === 'browser' ? `${BROWSER_CLAIM_PREFIX}${key}` : key;
}

/** The dedup key and source a claim stands for (inverse of `claimKey`). */
export function parseClaim(claim: string): { key: string; source: ConversionSource } {
  return claim.startsWith(BROWSER_CLAIM_PREFIX)
    ? { key: claim.slice(BROWSER_CLAIM_PREFIX.length), source: 'browser' }
    : { key: claim, source: 'server' };
}

/** True when `value` has the shape of a `DeliveryMessage` (queue bodies are untyped at runtime). */
export function isDeliveryMessage(value: unknown): value is DeliveryMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<DeliveryMessage>;
  return (
    typeof v.pixelId === 'string' &&
    (v.source === undefined || v.source === 'server' || v.source === 'browser') &&
    typeof v.acceptedAt === 'number' &&
    typeof v.conversion === 'object' &&
    v.conversion !== null &&
    typeof v.conversion.conversion_id === 'string' &&
    typeof v.conversion.event_id === 'string' &&
    (v.event === undefined || typeof v.event === 'string') &&
    (v.sealedEventId === undefined || typeof v.sealedEventId === 'string') &&
    (v.via === undefined || typeof v.via === 'string')
  );
}
