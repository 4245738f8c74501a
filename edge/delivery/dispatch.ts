/**
 * @module
 * The seam between ingest and delivery: ingest hands over hashed conversions
 * and answers 202 only after this resolves, i.e. after the delivery queue has
 * stored them. If the queue cannot take them, the caller gets a 503 in X's
 * shape and retries: never a 202 for something that was not stored.
 *
 * No queue binding is a configuration error, not a reason to fall back to
 * sending from the request (that would answer 202 for conversions held only in
 * memory, exactly what this module exists to prevent). `wrangler dev` and the
 * tests create local queues from wrangler.toml by themselves. The client's IP
 * address is sealed before it is queued (./seal-address.ts), and browser
 * copies are queued with a delay (`BROWSER_HOLD_SECONDS`).
 */
import type { EdgeConfig } from '../config.ts';
import { XApiError } from '../errors.ts';
import { errorName, log } from '../log.ts';
import type { WebhookSource } from '../webhooks/webhook-event.ts';
import type { XConversion } from '../x-api/conversion.ts';
import {
  type ConversionSource,
  type DeliveryMessage,
  MAX_MESSAGES_PER_SEND,
  type QueuedConversions,
  queueBodies,
} from './message.ts';
import { sealAddress } from './seal-address.ts';

/** Where accepted conversions go: the pixel's queue, sealed with the configured key. */
export interface DispatchTarget {
  queue: Queue<QueuedConversions> | undefined;
  pixelId: string;
  config: EdgeConfig;
}

/** `X_EVENTS` turned around (tag to name), once per parsed configuration. */
const namesByTag = new WeakMap<EdgeConfig['events'], ReadonlyMap<string, string>>();

function eventNamesByTag(events: EdgeConfig['events']): ReadonlyMap<string, string> {
  let names = namesByTag.get(events);
  if (!names) {
    names = new Map(Object.entries(events).map(([name, tag]) => [tag, name]));
    namesByTag.set(events, names);
  }
  return names;
}

/**
 * Stores the conversions on the delivery queue, as many per message as fit
 * (./message.ts); `via` names the shop webhook server copies came from.
 *
 * @throws XApiError 503 when the queue is missing or refuses the messages.
 */
export async function dispatchConversions(
  { queue, pixelId, config }: DispatchTarget,
  conversions: XConversion[],
  source: ConversionSource,
  via?: WebhookSource,
): Promise<void> {
  if (conversions.length === 0) return;
  if (!queue) {
    log.error('DELIVERY_QUEUE binding missing: create the queues (see wrangler.toml)');
    throw unavailable('delivery queue is not configured');
  }
  // The event's name travels with it: delivery resolves the tag from it again.
  const names = eventNamesByTag(config.events);
  const acceptedAt = Date.now();
  // A browser copy waits so that the backend's copy of the same conversion,
  // usually sent within seconds, reaches the consumer first (./rate-budget.ts).
  const hold = source === 'browser' ? config.browserHoldSeconds : 0;
  const bodies = await Promise.all(
    conversions.map(async (built) => {
      const { conversion, sealedAddress } = await sealAddress(config, pixelId, built);
      const body: DeliveryMessage = { pixelId, source, conversion, acceptedAt };
      if (via !== undefined) body.via = via;
      const event = names.get(conversion.event_id);
      if (event !== undefined) body.event = event;
      if (sealedAddress) body.sealedAddress = sealedAddress;
      return body;
    }),
  );
  const messages = queueBodies(bodies).map((body) => ({
    body,
    contentType: 'json' as const,
    ...(hold > 0 ? { delaySeconds: hold } : {}),
  }));
  // A failure after some chunks were stored still answers 503: the caller's
  // retry re-sends those, and the consumer's dedup forwards them once.
  try {
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_SEND) {
      await queue.sendBatch(messages.slice(i, i + MAX_MESSAGES_PER_SEND));
    }
  } catch (err) {
    log.error('enqueue failed', { error: errorName(err) });
    throw unavailable('could not store the conversions, retry later');
  }
}

function unavailable(message: string): XApiError {
  return new XApiError(503, { code: 'SERVICE_UNAVAILABLE', message }, { 'Retry-After': '5' });
}
