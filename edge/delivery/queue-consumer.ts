/**
 * @module
 * The delivery queue's consumer: turns a batch of accepted conversions into as
 * few X requests as possible without losing any. The decisions are pure
 * (./delivery-plan.ts, ./verdict.ts); this module does the I/O around them.
 *
 * Per pixel in the batch, two calls to its `DeliveryLedger`:
 * 1. resolve each conversion's tag from its event name (a corrected `X_EVENTS`
 *    applies to conversions already waiting);
 * 2. `begin`: the ledger holds those that must wait while X refuses the pixel
 *    or their event, and its budget says which of the others may go now
 *    (budget, dedup); those that must wait are re-enqueued with a delay;
 * 3. send them (up to 500 per request) and judge each answer;
 * 4. `finish`: what X answered, in one report.
 * Then each queue message is acked, retried or split by what became of its
 * conversions.
 */
import { configFor, type EdgeConfig, type PixelConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { errorName, log } from '../log.ts';
import { budgetShare, pixelView, queuedPixel } from '../pixels/pixel-routing.ts';
import { MAX_CONVERSIONS_PER_REQUEST, type XConversion } from '../x-api/conversion.ts';
import type { SendOutcome } from '../x-api/x-client.ts';
import {
  type Action,
  combine,
  isolateEvents,
  judgeSend,
  messageOutcome,
  type PlanContext,
  planAdmission,
  retryAction,
  retryAll,
  type Step,
  type Unit,
} from './delivery-plan.ts';
import { type Admission, emptyReport, entryFor, infoOf } from './ledger-report.ts';
import {
  conversionsOf,
  type DeliveryMessage,
  ledgerKey,
  MAX_MESSAGES_PER_SEND,
  queueBodies,
} from './message.ts';
import { misconfiguredRetryDelay } from './retry-delay.ts';
import { openMessageAddress, SEAL_KEY_GONE } from './seal-address.ts';
import { judge } from './verdict.ts';

/** Immediate extra tries of a 5xx answer to one half during bisection. */
const BISECTION_RETRIES = 2;
const BISECTION_RETRY_PAUSE_MS = 200;

/** Sends one request to X; `sendConversions` from edge/x-api/x-client.ts fits. */
export type SendToX = (
  config: EdgeConfig,
  conversions: XConversion[],
  options: { pixelId: string },
) => Promise<SendOutcome>;

export interface DeliveryOptions {
  send: SendToX;
  /** Source of jitter, injectable so tests can bound delays exactly. */
  random?: () => number;
  /** The batch's clock (epoch ms), injectable so tests can simulate minutes of traffic. */
  now?: () => number;
}

type LedgerStub = ReturnType<NonNullable<Env['DELIVERY_LEDGER']>['get']>;

/** One pixel's share of the batch, and what it is delivered with. */
interface PixelDelivery {
  /** The configuration as this pixel sees it: its events and credentials. */
  config: EdgeConfig;
  /** Pixels splitting its ad account's quota. */
  budgetShare: number;
  pixelId: string;
  ledger: LedgerStub;
  send: SendToX;
  plan: PlanContext;
  /** Keys of conversions sent without their address (no configured key opens it). */
  addressDropped: Set<string>;
}

/**
 * Consumes one batch of the delivery queue. Every message ends acked, retried
 * or acked with its unfinished conversions re-enqueued.
 *
 * @example
 * export default {
 *   queue: (batch, env) => deliverBatch(batch, env, { send: sendConversions }),
 * } satisfies ExportedHandler<Env>;
 */
export async function deliverBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  options: DeliveryOptions,
): Promise<void> {
  const configResult = configFor(env);
  const { DELIVERY_LEDGER: ledger } = env;
  if (!configResult.ok || !ledger) {
    log.error('delivery paused: edge misconfigured, conversions kept and retried', {
      problems: configResult.ok ? ['DELIVERY_LEDGER binding missing'] : configResult.problems,
      count: batch.messages.length,
    });
    for (const msg of batch.messages)
      msg.retry({ delaySeconds: misconfiguredRetryDelay(msg.attempts) });
    return;
  }
  const { config } = configResult;
  const plan: PlanContext = {
    retry: config.retry,
    now: options.now?.() ?? Date.now(),
    ...(options.random ? { random: options.random } : {}),
  };

  const byPixel = new Map<string, { pixel: PixelConfig; units: Unit[] }>();
  const unitsOf = new Map<Message<unknown>, Unit[]>();
  const unplaced: Step[] = [];
  for (const msg of batch.messages) {
    const conversions = conversionsOf(msg.body);
    if (!conversions) {
      // Not something ingest or the ledger wrote, so never accepted: nothing to keep or send.
      log.error('malformed delivery message dropped', { message_id: msg.id });
      msg.ack();
      continue;
    }
    const units: Unit[] = [];
    for (const body of conversions) {
      const pixel = queuedPixel(config, body.pixelId);
      if (!pixel) {
        // A pixel no longer configured: kept on the queue until it is again (or it dead-letters).
        log.error('delivery paused: the pixel is not configured, conversion kept and retried', {
          pixel_id: body.pixelId,
        });
        const unit = { msg, body };
        units.push(unit);
        unplaced.push({
          actions: [[unit, { retry: misconfiguredRetryDelay(msg.attempts) }]],
          report: {},
          kept: [],
        });
        continue;
      }
      // Each pixel's own events and credentials.
      const unit = { msg, body: resolveTag(body, pixel) };
      units.push(unit);
      const group = byPixel.get(body.pixelId) ?? { pixel, units: [] };
      group.units.push(unit);
      byPixel.set(body.pixelId, group);
    }
    unitsOf.set(msg, units);
  }

  const steps = await Promise.all(
    [...byPixel].map(([pixelId, { pixel, units }]) =>
      deliverPixel(
        {
          config: pixelView(config, pixel),
          budgetShare: budgetShare(config, pixel),
          pixelId,
          ledger: ledger.get(ledger.idFromName(pixelId)),
          send: options.send,
          plan,
          addressDropped: new Set(),
        },
        units,
      ),
    ),
  );
  steps.push(...unplaced);
  const actions = new Map<Unit, Action>(steps.flatMap((s) => s.actions));
  const requeued: {
    msg: Message<unknown>;
    bodies: { body: DeliveryMessage; delaySeconds: number }[];
  }[] = [];
  for (const [msg, units] of unitsOf) {
    const outcome = messageOutcome(
      units.map((u): [Unit, Action] => [u, actions.get(u) ?? { retry: 0 }]),
    );
    if ('ack' in outcome) msg.ack();
    else if ('retry' in outcome) msg.retry({ delaySeconds: outcome.retry });
    else requeued.push({ msg, bodies: outcome.requeue });
  }
  await requeue(env, requeued);
}

/**
 * Sends with the tag the message's pixel maps the event name to now (it may
 * have been corrected). The sealed address stays bound to the tag it was sealed with.
 */
function resolveTag(body: DeliveryMessage, pixel: Pick<PixelConfig, 'events'>): DeliveryMessage {
  const tag = body.event === undefined ? undefined : pixel.events[body.event];
  if (tag === undefined || tag === body.conversion.event_id) return body;
  return {
    ...body,
    ...(body.sealedAddress !== undefined
      ? { sealedEventId: body.sealedEventId ?? body.conversion.event_id }
      : {}),
    conversion: { ...body.conversion, event_id: tag },
  };
}

/**
 * Re-enqueues conversions that must wait without having failed (or whose
 * message holds others that are done), packed per delay, then acks their
 * messages. If the queue refuses, those messages are retried instead: their
 * finished conversions then come back as duplicates.
 */
async function requeue(
  env: Env,
  waiting: { msg: Message<unknown>; bodies: { body: DeliveryMessage; delaySeconds: number }[] }[],
): Promise<void> {
  if (waiting.length === 0) return;
  const byDelay = new Map<number, DeliveryMessage[]>();
  for (const { bodies } of waiting) {
    for (const { body, delaySeconds } of bodies) {
      byDelay.set(delaySeconds, [...(byDelay.get(delaySeconds) ?? []), body]);
    }
  }
  try {
    const queue = env.DELIVERY_QUEUE;
    if (!queue) throw new Error('DELIVERY_QUEUE binding missing');
    const messages = [...byDelay].flatMap(([delaySeconds, bodies]) =>
      queueBodies(bodies).map((body) => ({ body, delaySeconds, contentType: 'json' as const })),
    );
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_SEND) {
      await queue.sendBatch(messages.slice(i, i + MAX_MESSAGES_PER_SEND));
    }
    for (const { msg } of waiting) msg.ack();
  } catch (err) {
    log.warn('could not re-enqueue, retrying instead', { error: errorName(err) });
    for (const { msg, bodies } of waiting) {
      msg.retry({ delaySeconds: Math.max(...bodies.map((b) => b.delaySeconds)) });
    }
  }
}

/** One pixel's share of the batch: begin, send, finish. */
async function deliverPixel(pixel: PixelDelivery, units: Unit[]): Promise<Step> {
  const entries = units.map((u) => entryFor(u.body));
  let admission: Admission;
  try {
    // A plain copy of X_EVENTS: the parsed map has no prototype, which RPC cannot clone.
    admission = await pixel.ledger.begin(
      entries,
      { ...pixel.config.events },
      pixel.plan.now,
      pixel.budgetShare,
    );
  } catch (err) {
    log.warn('delivery ledger unavailable, retrying', {
      pixel_id: pixel.pixelId,
      error: errorName(err),
    });
    return retryAll(pixel.plan, units);
  }
  const admitted = planAdmission(pixel.plan, units, admission);
  if (admission.deferred.length > 0) {
    log.info('rate budget spent, conversions wait', {
      pixel_id: pixel.pixelId,
      count: admission.deferred.length,
      retry_after_seconds: admission.retryAfterSeconds,
    });
  }
  const steps: Step[] = [admitted];
  for (let i = 0; i < admitted.granted.length; i += MAX_CONVERSIONS_PER_REQUEST) {
    steps.push(
      await sendAndJudge(pixel, admitted.granted.slice(i, i + MAX_CONVERSIONS_PER_REQUEST)),
    );
  }
  const step = combine(steps);

  const infos = entries.map((entry) => {
    const info = infoOf(entry);
    return pixel.addressDropped.has(info.key) ? { ...info, warning: SEAL_KEY_GONE.code } : info;
  });
  try {
    await pixel.ledger.finish({ ...emptyReport(infos), ...step.report }, pixel.plan.now);
  } catch (err) {
    // What the ledger was to keep goes back to the queue instead. Delivered
    // ones are then unrecorded: a redelivered copy could be resent once,
    // which X's own conversion_id dedup covers.
    log.warn('delivery ledger unavailable, retrying', {
      pixel_id: pixel.pixelId,
      error: errorName(err),
    });
    const kept = new Set(step.kept);
    return {
      ...step,
      actions: step.actions.map(([u, a]): [Unit, Action] =>
        kept.has(u) ? [u, retryAction(pixel.plan, u)] : [u, a],
      ),
    };
  }
  return step;
}
/** Sends one request and decides for each of its conversions. */
async function sendAndJudge(pixel: PixelDelivery, units: Unit[], bisecting = false): Promise<Step> {
  let outcome = await sendOnce(pixel, units);
  // Mid-bisection X has just answered (a 400), so a 5xx now is a blip: try
  // again at once, twice at most, rather than send the half back to the queue.
  for (
    let extra = 0;
    bisecting && outcome.kind === 'retryable' && extra < BISECTION_RETRIES;
    extra++
  ) {
    await new Promise((resolve) => setTimeout(resolve, BISECTION_RETRY_PAUSE_MS * (extra + 1)));
    outcome = await sendOnce(pixel, units);
  }

  const eventIds = [...new Set(units.map((u) => u.body.conversion.event_id))];
  const verdict = judge(outcome, { size: units.length, eventIds });
  const pixel_id = pixel.pixelId;
  switch (verdict.kind) {
    case 'isolate': {
      const isolated = isolateEvents(units, verdict, outcome);
      for (const { event, eventId } of isolated.report.isolated ?? []) {
        log.error('X refused an event tag: fix its X_EVENTS entry; its conversions are held', {
          pixel_id,
          event,
          event_id: eventId,
        });
      }
      if (isolated.others.length === 0) return isolated;
      return combine([isolated, await sendAndJudge(pixel, isolated.others, bisecting)]);
    }
    case 'bisect': {
      // X is all-or-nothing: find the bad ones by halving (log2(500) ~ 9 levels).
      const middle = Math.ceil(units.length / 2);
      const first = await sendAndJudge(pixel, units.slice(0, middle), true);
      return combine([first, await sendAndJudge(pixel, units.slice(middle), true)]);
    }
    case 'retry':
      log.warn('X unavailable, retrying', {
        pixel_id,
        reason: verdict.reason,
        count: units.length,
      });
      break;
    case 'requeue':
      log.warn('X rate limit hit, conversions wait', {
        pixel_id,
        retry_after_seconds: verdict.delaySeconds,
      });
      break;
    case 'hold':
      log.error(
        'X refused our credentials or pixel: fix the configuration; conversions are held and X is probed',
        { pixel_id, reason: verdict.message, count: units.length },
      );
      break;
    case 'dead-letter': {
      const [unit] = units as [Unit];
      log.error('conversion rejected by X: kept as a dead letter', {
        pixel_id,
        event_id: unit.body.conversion.event_id,
        conversion_id: unit.body.conversion.conversion_id,
        reason: verdict.message,
      });
      break;
    }
    case 'ack':
      break;
  }
  return judgeSend(pixel.plan, units, outcome, verdict);
}

/** The conversion with its address opened; one whose address is lost is noted for its status. */
async function opened(pixel: PixelDelivery, body: DeliveryMessage): Promise<XConversion> {
  const { conversion, addressDropped } = await openMessageAddress(pixel.config, body);
  if (addressDropped) pixel.addressDropped.add(ledgerKey(body));
  return conversion;
}

async function sendOnce(pixel: PixelDelivery, units: Unit[]): Promise<SendOutcome> {
  try {
    const conversions = await Promise.all(units.map((u) => opened(pixel, u.body)));
    return await pixel.send(pixel.config, conversions, { pixelId: pixel.pixelId });
  } catch (err) {
    return { kind: 'retryable', reason: `send threw: ${String(err)}` };
  }
}
