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
 * budget; see ./rate-budget.ts.
 */
export type ConversionSource = 'server' | 'browser';

/** One accepted conversion waiting to be delivered to X. */
export interface DeliveryMessage {
  /** The pixel (Universal Website Tag) the conversion belongs to. */
  pixelId: string;
  source: ConversionSource;
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

/** The message without what one delivery attempt added (probe flag, failures): how the ledger keeps it. */
export function withoutAttempt(body: DeliveryMessage): DeliveryMessage {
  const { probe: _probe, failures: _failures, ...kept } = body;
  return kept;
}

/**
 * The event a message belongs to, as operators name it: its `X_EVENTS` name,
 * or the tag for messages queued without one.
 */
export function eventName(message: DeliveryMessage): string {
  return message.event ?? message.conversion.event_id;
}

/**
 * A conversion's one key, for its dedup, status, held and dead-letter rows:
 * conversion id and event name (X counts a conversion id once per event).
 * The event's name, not its tag, so it survives a corrected tag; the
 * conversion id first, so a lookup by conversion id reads one range.
 */
export function ledgerKey(message: DeliveryMessage): string {
  return `${message.conversion.conversion_id}:${eventName(message)}`;
}

/**
 * One queue message: the conversions of one pixel that one call accepted (or
 * that the ledger puts back), as many as fit in `MAX_QUEUE_BODY_BYTES`.
 * Cloudflare bills a queue message per 64 KB written, read and deleted, so a
 * call of 100 conversions costs one message, not 100.
 */
export interface QueuedConversions {
  conversions: DeliveryMessage[];
}

/** Room in one queue message, under Cloudflare's 64 KB billing unit (its ~100 B of metadata aside). */
export const MAX_QUEUE_BODY_BYTES = 60_000;

/** Packs conversions into as few queue bodies as fit, in order. */
export function queueBodies(conversions: readonly DeliveryMessage[]): QueuedConversions[] {
  const encoder = new TextEncoder();
  const bodies: QueuedConversions[] = [];
  let current: DeliveryMessage[] = [];
  let bytes = 0;
  for (const conversion of conversions) {
    const size = encoder.encode(JSON.stringify(conversion)).length + 1;
    if (current.length > 0 && bytes + size > MAX_QUEUE_BODY_BYTES) {
      bodies.push({ conversions: current });
      current = [];
      bytes = 0;
    }
    current.push(conversion);
    bytes += size;
  }
  if (current.length > 0) bodies.push({ conversions: current });
  return bodies;
}

/** The conversions of a queue body, or undefined when it is not one ingest or the ledger wrote. */
export function conversionsOf(body: unknown): DeliveryMessage[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { conversions } = body as Partial<QueuedConversions>;
  if (!Array.isArray(conversions) || conversions.length === 0) return undefined;
  return conversions.every(isDeliveryMessage) ? conversions : undefined;
}

/** True when `value` has the shape of a `DeliveryMessage` (queue bodies are untyped at runtime). */
export function isDeliveryMessage(value: unknown): value is DeliveryMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<DeliveryMessage>;
  return (
    typeof v.pixelId === 'string' &&
    (v.source === 'server' || v.source === 'browser') &&
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
