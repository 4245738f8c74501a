/**
 * @module
 * What travels on the delivery queues. One conversion per message: Cloudflare
 * caps a message at 128 KB, and X's 500-per-request limit is met by the
 * consumer grouping messages, not by the producer. Everything here is already
 * safe to store: emails and phones were hashed by ingest before enqueueing.
 */
import type { XErrorItem } from '../errors.ts';
import type { XConversion } from '../x-api/conversion.ts';

/** Name of the dead letter queue in wrangler.toml; the queue handler routes on it. */
export const DEAD_LETTER_QUEUE_NAME = 'x-capi-deliveries-dlq';

/** One accepted conversion waiting to be delivered to X. */
export interface DeliveryMessage {
  /** The pixel (Universal Website Tag) the conversion belongs to. */
  pixelId: string;
  /** The conversion without its `{ip_address, user_agent}` identifier (see `sealedAddress`). */
  conversion: XConversion;
  /** That identifier, AES-GCM sealed (./seal-address.ts): no raw IP is ever queued. */
  sealedAddress?: string;
  /** When ingest accepted it (epoch milliseconds), to measure delivery lag. */
  acceptedAt: number;
  /**
   * Failed sends before this message was re-enqueued (a wait for budget or
   * X's 429 re-enqueues instead of retrying); backoff counts from here.
   */
  failures?: number;
}

/** Why a conversion was given up on. */
export type DeadLetterReason =
  | { kind: 'rejected'; status: 400; errors: XErrorItem[] }
  | { kind: 'retries-exhausted' };

/** A conversion on the dead letter queue, with the reason it is there. */
export interface DeadLetter extends DeliveryMessage {
  reason: DeadLetterReason;
  /** When it was dead-lettered (epoch milliseconds). */
  deadAt: number;
}

/** Dedup key: X deduplicates by conversion id per event, so the same id on two events is two conversions. */
export function dedupKey(conversion: XConversion): string {
  return `${conversion.event_id}:${conversion.conversion_id}`;
}

/** True when `value` has the shape of a `DeliveryMessage` (queue bodies are untyped at runtime). */
export function isDeliveryMessage(value: unknown): value is DeliveryMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<DeliveryMessage>;
  return (
    typeof v.pixelId === 'string' &&
    typeof v.acceptedAt === 'number' &&
    typeof v.conversion === 'object' &&
    v.conversion !== null &&
    typeof v.conversion.conversion_id === 'string' &&
    typeof v.conversion.event_id === 'string'
  );
}
