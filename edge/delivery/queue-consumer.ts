/**
 * @module
 * The delivery queue's consumer: turns a batch of accepted conversions into as
 * few X requests as possible without losing any. The decisions are
 * ./verdict.ts (pure); this module does the I/O around them.
 *
 * Per pixel in the batch (at most 100 messages, so one request of <= 500):
 * 1. resolve each conversion's tag from its event name (a corrected `X_EVENTS`
 *    applies to conversions already waiting);
 * 2. show them to the pixel's `DeliveryLedger`, which holds them while X
 *    refuses the pixel or their event (see ./delivery-ledger.ts);
 * 3. ask the pixel's `RateBudget` which may go now (budget, dedup); those that
 *    must wait are re-enqueued with a delay;
 * 4. send them as one request, act on the verdict, and report to the ledger.
 *
 * Nothing is acked unless X accepted it, it is a known duplicate, or it is
 * stored again: re-enqueued, or held or dead-lettered by the ledger (the
 * ledger's report is written before anything it keeps is acked).
 */
import { configFor, type EdgeConfig, type PixelConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { errorName, log } from '../log.ts';
import { pixelView, queuedPixel, rateBudgetName } from '../pixels/pixel-routing.ts';
import { MAX_CONVERSIONS_PER_REQUEST, type XConversion } from '../x-api/conversion.ts';
import type { SendOutcome } from '../x-api/x-client.ts';
import { entryFor, type LedgerReport, type WaitingReason } from './delivery-ledger.ts';
import {
  claimKey,
  type DeliveryMessage,
  eventName,
  isDeliveryMessage,
  ledgerKey,
  MAX_MESSAGES_PER_SEND,
  sourceOf,
} from './message.ts';
import type { Settlement } from './rate-budget.ts';
import {
  misconfiguredRetryDelay,
  rateLimitedRetryDelay,
  transientRetryDelay,
} from './retry-delay.ts';
import { openMessageAddress } from './seal-address.ts';
import { describeErrors, type HoldReason, judge } from './verdict.ts';

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
  /** The budget's clock (epoch ms), injectable so tests can simulate minutes of traffic. */
  now?: () => number;
}

/**
 * What happens to one message once every decision is made. `requeue` is for
 * waits that are not failures (our budget, X's 429, another copy in flight):
 * the message is re-enqueued with a delay and the original acked, so the wait
 * neither spends one of `max_retries` nor grows the backoff after later 5xx.
 */
type Action = { ack: true } | { retry: number } | { requeue: number };

type RateBudgetStub = ReturnType<NonNullable<Env['RATE_BUDGET']>['get']>;
type LedgerStub = ReturnType<NonNullable<Env['DELIVERY_LEDGER']>['get']>;

interface Group {
  config: EdgeConfig;
  pixelId: string;
  budget: RateBudgetStub;
  ledger: LedgerStub;
  options: DeliveryOptions;
  actions: Map<Message<unknown>, Action>;
  settlement: Settlement;
  report: LedgerReport;
  /** Messages whose action depends on the ledger keeping them (held, dead letter). */
  kept: Set<Message<DeliveryMessage>>;
}

/** An empty report for one pixel's share of a batch. */
export function emptyReport(): LedgerReport {
  return {
    sent: [],
    duplicates: [],
    waiting: [],
    held: [],
    deadLetters: [],
    isolated: [],
    addressDropped: [],
  };
}

/**
 * Consumes one batch of the delivery queue. Every message ends acked or
 * retried.
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
  const actions = new Map<Message<unknown>, Action>();
  const configResult = configFor(env);
  const { RATE_BUDGET: budget, DELIVERY_LEDGER: ledger } = env;
  if (!configResult.ok || !budget || !ledger) {
    log.error('delivery paused: edge misconfigured, conversions kept and retried', {
      problems: configResult.ok
        ? ['RATE_BUDGET or DELIVERY_LEDGER binding missing']
        : configResult.problems,
      count: batch.messages.length,
    });
    for (const msg of batch.messages)
      msg.retry({ delaySeconds: misconfiguredRetryDelay(msg.attempts) });
    return;
  }
  const { config } = configResult;

  const groups = new Map<string, { pixel: PixelConfig; messages: Message<DeliveryMessage>[] }>();
  for (const msg of batch.messages) {
    if (!isDeliveryMessage(msg.body)) {
      // Not something ingest wrote, so never accepted: nothing to keep or send.
      log.error('malformed delivery message dropped', { message_id: msg.id });
      msg.ack();
      continue;
    }
    const typed = msg as Message<DeliveryMessage>;
    const pixel = queuedPixel(config, typed.body.pixelId);
    if (!pixel) {
      // A pixel no longer configured: kept on the queue until it is again (or it dead-letters).
      log.error('delivery paused: the pixel is not configured, conversion kept and retried', {
        pixel_id: typed.body.pixelId,
      });
      msg.retry({ delaySeconds: misconfiguredRetryDelay(msg.attempts) });
      continue;
    }
    // Each pixel's own events and credentials.
    resolveTag(typed.body, pixel);
    const group = groups.get(typed.body.pixelId) ?? { pixel, messages: [] };
    group.messages.push(typed);
    groups.set(typed.body.pixelId, group);
  }

  await Promise.all(
    [...groups].map(([pixelId, { pixel, messages }]) =>
      deliverGroup(
        {
          config: pixelView(config, pixel),
          pixelId,
          // Pixels of one ad account share X's budget; the ledger stays per pixel.
          budget: budget.get(budget.idFromName(rateBudgetName(pixel))),
          ledger: ledger.get(ledger.idFromName(pixelId)),
          options,
          actions,
          settlement: { delivered: [], released: [] },
          report: emptyReport(),
          kept: new Set(),
        },
        messages,
      ),
    ),
  );

  const requeued: [Message<DeliveryMessage>, number][] = [];
  for (const [msg, action] of actions) {
    if ('requeue' in action) requeued.push([msg as Message<DeliveryMessage>, action.requeue]);
    else if ('retry' in action) msg.retry({ delaySeconds: action.retry });
    else msg.ack();
  }
  await requeue(env, requeued);
}

/**
 * Sends with the tag the message's pixel maps the event name to now (it may
 * have been corrected). The sealed address stays bound to the tag it was sealed with.
 */
function resolveTag(body: DeliveryMessage, pixel: Pick<PixelConfig, 'events'>): void {
  const tag = body.event === undefined ? undefined : pixel.events[body.event];
  if (tag === undefined || tag === body.conversion.event_id) return;
  if (body.sealedAddress !== undefined) body.sealedEventId ??= body.conversion.event_id;
  body.conversion = { ...body.conversion, event_id: tag };
}

/**
 * Re-enqueues messages that must wait without having failed, carrying their
 * failures so far, then acks the originals. If the queue refuses, they are
 * retried instead.
 */
async function requeue(env: Env, waiting: [Message<DeliveryMessage>, number][]): Promise<void> {
  const queue = env.DELIVERY_QUEUE;
  for (let i = 0; i < waiting.length; i += MAX_MESSAGES_PER_SEND) {
    const chunk = waiting.slice(i, i + MAX_MESSAGES_PER_SEND);
    try {
      if (!queue) throw new Error('DELIVERY_QUEUE binding missing');
      await queue.sendBatch(
        chunk.map(([msg, delaySeconds]) => {
          const { probe: _probe, ...body } = msg.body;
          return {
            body: { ...body, failures: failuresSoFar(msg) },
            delaySeconds,
            contentType: 'json' as const,
          };
        }),
      );
      for (const [msg] of chunk) msg.ack();
    } catch (err) {
      log.warn('could not re-enqueue, retrying instead', { error: errorName(err) });
      for (const [msg, delaySeconds] of chunk) msg.retry({ delaySeconds });
    }
  }
}

/**
 * Failed sends of this conversion so far: those carried by a re-enqueued
 * message plus this message's own retries (re-enqueueing never retries).
 */
function failuresSoFar(msg: Message<DeliveryMessage>): number {
  return (msg.body.failures ?? 0) + Math.max(msg.attempts - 1, 0);
}

function transientDelay(group: Group, msg: Message<DeliveryMessage>): number {
  const { baseSeconds, maxSeconds } = group.config.retry;
  return transientRetryDelay(failuresSoFar(msg) + 1, baseSeconds, group.options.random, maxSeconds);
}

/** One pixel's share of the batch: admit, reserve, send, settle. */
async function deliverGroup(group: Group, messages: Message<DeliveryMessage>[]): Promise<void> {
  let held: Set<string>;
  try {
    const admission = await group.ledger.admit(
      messages.map((m) => entryFor(ledgerKey(m.body), eventName(m.body), m.body)),
      // A plain copy: the parsed map has no prototype, which RPC cannot clone.
      { ...group.config.events },
    );
    held = new Set(admission.held);
  } catch (err) {
    log.warn('delivery ledger unavailable, retrying', {
      pixel_id: group.pixelId,
      error: errorName(err),
    });
    for (const msg of messages) group.actions.set(msg, { retry: transientDelay(group, msg) });
    return;
  }
  // The ledger stored these before answering: they wait there, not in the queue.
  const open = messages.filter((m) => {
    if (!held.has(ledgerKey(m.body))) return true;
    group.actions.set(m, { ack: true });
    return false;
  });
  if (open.length === 0) return;

  const granted = await reserve(group, open);
  for (let i = 0; i < granted.length; i += MAX_CONVERSIONS_PER_REQUEST) {
    await sendAndJudge(group, granted.slice(i, i + MAX_CONVERSIONS_PER_REQUEST));
  }

  try {
    await group.budget.settle(group.settlement, group.options.now?.());
  } catch (err) {
    // Delivered ones stay leased until the lease ends, then a redelivered
    // copy could be resent once: X's own conversion_id dedup covers that.
    log.warn('could not record delivery for dedup', {
      pixel_id: group.pixelId,
      error: errorName(err),
    });
  }
  try {
    await group.ledger.settle(group.report);
  } catch (err) {
    // What the ledger was to keep goes back to the queue instead.
    log.warn('delivery ledger unavailable, retrying', {
      pixel_id: group.pixelId,
      error: errorName(err),
    });
    for (const msg of group.kept) group.actions.set(msg, { retry: transientDelay(group, msg) });
  }
}

/** Asks the RateBudget which messages may go now; decides for the others. */
async function reserve(
  group: Group,
  messages: Message<DeliveryMessage>[],
): Promise<Message<DeliveryMessage>[]> {
  const byKey = new Map<string, Message<DeliveryMessage>[]>();
  for (const msg of messages) {
    const key = claimKey(msg.body);
    byKey.set(key, [...(byKey.get(key) ?? []), msg]);
  }
  // Each copy of a key is asked for separately, so a second copy in the same
  // batch comes back in flight and is retried (then acked as a duplicate).
  let reservation: Awaited<ReturnType<RateBudgetStub['reserve']>>;
  try {
    // A claim names the copy's source: server copies are granted first.
    reservation = await group.budget.reserve(
      messages.map((m) => claimKey(m.body)),
      group.options.now?.(),
    );
  } catch (err) {
    log.warn('rate budget unavailable, retrying', {
      pixel_id: group.pixelId,
      error: errorName(err),
    });
    for (const msg of messages) group.actions.set(msg, { retry: transientDelay(group, msg) });
    return [];
  }
  const take = (key: string): Message<DeliveryMessage> => {
    const msg = byKey.get(key)?.shift();
    if (!msg) throw new Error('reservation returned an unknown key');
    return msg;
  };
  for (const key of reservation.duplicates) {
    const msg = take(key);
    group.actions.set(msg, { ack: true });
    group.report.duplicates.push({
      key: ledgerKey(msg.body),
      probe: msg.body.probe === true,
      source: sourceOf(msg.body),
    });
  }
  for (const key of reservation.inFlight) {
    // Another copy is being sent right now: look again soon (at least 1 s).
    const msg = take(key);
    group.actions.set(msg, { requeue: Math.max(1, transientDelay(group, msg)) });
  }
  for (const key of reservation.deferred) {
    const msg = take(key);
    group.actions.set(msg, {
      requeue: rateLimitedRetryDelay(reservation.retryAfterSeconds, group.options.random),
    });
    wait(group, msg, 'rate_limited', false);
  }
  if (reservation.deferred.length > 0) {
    group.report.budgetUntil = Date.now() + reservation.retryAfterSeconds * 1000;
    log.info('rate budget spent, conversions wait', {
      pixel_id: group.pixelId,
      count: reservation.deferred.length,
      retry_after_seconds: reservation.retryAfterSeconds,
    });
  }
  return reservation.granted.map(take);
}

function wait(
  group: Group,
  msg: Message<DeliveryMessage>,
  reason: WaitingReason,
  tried: boolean,
  error?: string,
): void {
  group.report.waiting.push({
    key: ledgerKey(msg.body),
    reason,
    tried,
    ...(error ? { error } : {}),
  });
}

/** Sends one request and decides for each of its messages. */
async function sendAndJudge(
  group: Group,
  messages: Message<DeliveryMessage>[],
  bisecting = false,
): Promise<void> {
  const keys = messages.map((m) => claimKey(m.body));
  let outcome = await sendOnce(group, messages);
  // Mid-bisection X has just answered (a 400), so a 5xx now is a blip: try
  // again at once, twice at most, rather than send the half back to the queue.
  for (
    let extra = 0;
    bisecting && outcome.kind === 'retryable' && extra < BISECTION_RETRIES;
    extra++
  ) {
    await new Promise((resolve) => setTimeout(resolve, BISECTION_RETRY_PAUSE_MS * (extra + 1)));
    outcome = await sendOnce(group, messages);
  }

  const eventIds = [...new Set(messages.map((m) => m.body.conversion.event_id))];
  const verdict = judge(outcome, { size: messages.length, eventIds });
  if (outcome.kind !== 'delivered') group.settlement.released.push(...keys);
  if ('errors' in outcome || outcome.kind === 'retryable') {
    group.report.lastError = {
      status: outcome.status ?? null,
      code: 'errors' in outcome ? (outcome.errors[0]?.code ?? 'UNKNOWN') : 'UNAVAILABLE',
      message: 'errors' in outcome ? describeErrors(outcome.errors) : outcome.reason,
    };
  }

  switch (verdict.kind) {
    case 'ack':
      if (outcome.kind === 'delivered') {
        group.settlement.delivered.push(...keys);
        for (const msg of messages) {
          group.report.sent.push({
            key: ledgerKey(msg.body),
            ...(outcome.debugId ? { debugId: outcome.debugId } : {}),
          });
        }
      } else {
        // Dry run: not delivered, so not remembered; turning credentials on later must not skip these.
        for (const msg of messages) wait(group, msg, 'dry_run', false);
      }
      for (const msg of messages) group.actions.set(msg, { ack: true });
      return;
    case 'retry':
      group.report.failing = verdict.reason;
      log.warn('X unavailable, retrying', {
        pixel_id: group.pixelId,
        reason: verdict.reason,
        count: messages.length,
      });
      for (const msg of messages) {
        group.actions.set(msg, { retry: transientDelay(group, msg) });
        wait(group, msg, 'x_unavailable', true, verdict.reason);
      }
      return;
    case 'requeue': {
      group.report.budgetUntil = Date.now() + verdict.delaySeconds * 1000;
      log.warn('X rate limit hit, conversions wait', {
        pixel_id: group.pixelId,
        retry_after_seconds: verdict.delaySeconds,
      });
      try {
        await group.budget.pause(verdict.delaySeconds);
      } catch (err) {
        log.warn('could not pause rate budget', { pixel_id: group.pixelId, error: errorName(err) });
      }
      for (const msg of messages) {
        group.actions.set(msg, {
          requeue: rateLimitedRetryDelay(verdict.delaySeconds, group.options.random),
        });
        wait(group, msg, 'rate_limited', true);
      }
      return;
    }
    case 'hold':
      group.report.refused = verdict.message;
      log.error(
        'X refused our credentials or pixel: fix the configuration; conversions are held and X is probed',
        { pixel_id: group.pixelId, reason: verdict.message, count: messages.length },
      );
      for (const msg of messages) keep(group, msg, verdict.reason, verdict.message);
      return;
    case 'isolate': {
      const refused = new Set(verdict.eventIds);
      const others = messages.filter((m) => !refused.has(m.body.conversion.event_id));
      for (const msg of messages) {
        if (refused.has(msg.body.conversion.event_id)) {
          keep(group, msg, 'event_not_found', verdict.message);
        }
      }
      for (const eventId of refused) {
        const sample = messages.find((m) => m.body.conversion.event_id === eventId);
        if (!sample) continue;
        group.report.isolated.push({
          event: eventName(sample.body),
          eventId,
          message: verdict.message,
        });
        log.error('X refused an event tag: fix its X_EVENTS entry; its conversions are held', {
          pixel_id: group.pixelId,
          event: eventName(sample.body),
          event_id: eventId,
        });
      }
      if (others.length > 0) await sendAndJudge(group, others, bisecting);
      return;
    }
    case 'bisect': {
      // X is all-or-nothing: find the bad ones by halving (log2(100) ~ 7 levels).
      const middle = Math.ceil(messages.length / 2);
      await sendAndJudge(group, messages.slice(0, middle), true);
      await sendAndJudge(group, messages.slice(middle), true);
      return;
    }
    case 'dead-letter': {
      const [msg] = messages as [Message<DeliveryMessage>];
      log.error('conversion rejected by X: kept as a dead letter', {
        pixel_id: group.pixelId,
        event_id: msg.body.conversion.event_id,
        conversion_id: msg.body.conversion.conversion_id,
        reason: verdict.message,
      });
      group.report.deadLetters.push({
        key: ledgerKey(msg.body),
        event: eventName(msg.body),
        reason: verdict.reason,
        status: verdict.status,
        message: verdict.message,
        body: msg.body,
      });
      group.actions.set(msg, { ack: true });
      group.kept.add(msg);
      return;
    }
  }
}

/** The conversion with its address opened; one whose address is lost is reported to the ledger. */
async function opened(group: Group, body: DeliveryMessage): Promise<XConversion> {
  const { conversion, addressDropped } = await openMessageAddress(group.config, body);
  if (addressDropped) group.report.addressDropped.push(ledgerKey(body));
  return conversion;
}

/** Hands a message to the ledger to hold (acked once the ledger has it). */
function keep(
  group: Group,
  msg: Message<DeliveryMessage>,
  reason: HoldReason,
  error: string,
): void {
  group.report.held.push({
    key: ledgerKey(msg.body),
    event: eventName(msg.body),
    reason,
    body: msg.body,
    error,
  });
  group.actions.set(msg, { ack: true });
  group.kept.add(msg);
}

async function sendOnce(group: Group, messages: Message<DeliveryMessage>[]): Promise<SendOutcome> {
  try {
    const conversions = await Promise.all(messages.map((m) => opened(group, m.body)));
    return await group.options.send(group.config, conversions, { pixelId: group.pixelId });
  } catch (err) {
    return { kind: 'retryable', reason: `send threw: ${String(err)}` };
  }
}
