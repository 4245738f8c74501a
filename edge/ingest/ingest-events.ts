/**
 * @module
 * The one way conversions enter delivery, for `POST /events` and the shop
 * webhooks alike: judge the event objects (./validate-event.ts), say in the
 * log what was left out, and hand what was accepted to the delivery queue
 * (edge/delivery/dispatch.ts) before the caller answers; what was left
 * unsent on purpose is counted in the pixel's ledger. The only step of
 * ingest with I/O; everything it decides is decided by the pure modules.
 */
import { type DispatchTarget, dispatchConversions } from '../delivery/dispatch.ts';
import { recordSkipped } from '../delivery/ledger-stub.ts';
import type { Env } from '../env.ts';
import { log } from '../log.ts';
import type { WebhookSource } from '../webhooks/webhook-event.ts';
import { type EventsOutcome, type ValidateOptions, validateEvents } from './validate-event.ts';

export interface IngestOptions extends Omit<ValidateOptions, 'prefix'> {
  /** The shop webhook the events came from, if one did. */
  via?: WebhookSource;
}

/**
 * Validates a JSON body of events and queues its conversions; nothing is
 * queued when any event is refused (the outcome then lists why).
 *
 * @throws XApiError 503 when the queue cannot store them (./dispatch.ts).
 * @example
 * const outcome = await ingestEvents(target, body, { rules: config, caller: 'server' });
 * if (!outcome.ok) throw new XApiError(400, outcome.errors);
 */
export async function ingestEvents(
  target: DispatchTarget & { env: Env },
  body: unknown,
  { via, ...options }: IngestOptions,
): Promise<EventsOutcome> {
  const outcome = await validateEvents(body, options);
  if (!outcome.ok) return outcome;
  const { conversions, warnings } = outcome;
  if (warnings.length > 0) {
    // A beacon's answer goes to a browser, a webhook's to the shop: the log is
    // where the site owner sees what was dropped.
    log.info('conversions accepted with fields left out', {
      pixel_id: target.pixelId,
      ...(via ? { via } : {}),
      count: conversions.length,
      dropped: warnings.map((w) => `${w.code} ${w.parameter}`),
    });
  }
  await dispatchConversions(target, conversions, options.caller, via);
  await recordSkipped(target.env, target.pixelId, outcome.skipped);
  return outcome;
}
