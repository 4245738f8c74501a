/**
 * @module
 * The delivery queue's consumer: turns a batch of accepted conversions into as
 * few X requests as possible without losing any.
 *
 * Per pixel in the batch (at most 100 messages, so one request of <= 500):
 * 1. ask the pixel's `RateBudget` which conversions may go now (budget, dedup);
 *    those that must wait are re-enqueued with a delay (see `Verdict`);
 * 2. send them as one request and act on X's answer:
 *    - delivered: ack; remembered for 48 h so a redelivered copy is not resent;
 *    - 5xx / network / timeout: retry, backoff growing with the failures so far;
 *    - 429: re-enqueue for X's wait (not a failure), and pause the pixel's budget;
 *    - 400: X rejects the whole request for one bad conversion, so split the
 *      group in halves and resend each until the bad ones stand alone; those go
 *      to the dead letter queue with X's error, the rest are delivered;
 *    - 401/403/404: nothing we can fix: log loudly, retry in 15-60 min, never drop;
 *    - dry run (no credentials): ack.
 */
import { configFor, type EdgeConfig } from '../config.ts';
import type { Env } from '../env.ts';
import type { XErrorItem } from '../errors.ts';
import { errorName, log } from '../log.ts';
import { MAX_CONVERSIONS_PER_REQUEST, type XConversion } from '../x-api/conversion.ts';
import { claimKey, type DeadLetter, type DeliveryMessage, isDeliveryMessage } from './message.ts';
import type { Settlement } from './rate-budget.ts';
import {
  misconfiguredRetryDelay,
  type RetryPolicy,
  rateLimitedRetryDelay,
  transientRetryDelay,
} from './retry-delay.ts';
import { openAddress } from './seal-address.ts';

/** Immediate extra tries of a 5xx answer to one half during bisection. */
const BISECTION_RETRIES = 2;
const BISECTION_RETRY_PAUSE_MS = 200;

/** The answers of `sendConversions` (edge/x-api/x-client.ts) the consumer acts on. */
export type DeliveryOutcome =
  | { kind: 'delivered'; status: number; debugId?: string; processed?: number }
  | { kind: 'dry-run' }
  | { kind: 'invalid'; status: 400; errors: XErrorItem[] }
  | { kind: 'rate-limited'; status: 429; retryAfterSeconds: number }
  | { kind: 'misconfigured'; status: 401 | 403 | 404; errors: XErrorItem[] }
  | { kind: 'retryable'; status?: number; reason: string };

/** Sends one request to X; `sendConversions` from edge/x-api/x-client.ts fits. */
export type SendToX = (
  config: EdgeConfig,
  conversions: XConversion[],
  options: { pixelId: string },
) => Promise<DeliveryOutcome>;

export interface DeliveryOptions {
  send: SendToX;
  /** Source of jitter, injectable so tests can bound delays exactly. */
  random?: () => number;
  /** The budget's clock (epoch ms), injectable so tests can simulate minutes of traffic. */
  now?: () => number;
}

/**
 * What happens to one message; applied only after every decision is made.
 * `postpone` is for waits that are not failures (our budget, X's 429, another
 * copy in flight): the message is re-enqueued with a delay and the original
 * acked, so the wait neither spends one of `max_retries` nor makes the
 * backoff after later 5xx grow (`msg.retry` would do both).
 */
type Verdict =
  | { ack: true }
  | { ack: false; delaySeconds: number }
  | { postpone: true; delaySeconds: number };

/** The pixel's `RateBudget` Durable Object. */
type RateBudgetStub = ReturnType<NonNullable<Env['RATE_BUDGET']>['get']>;

interface GroupContext {
  config: EdgeConfig;
  env: Env;
  pixelId: string;
  budget: RateBudgetStub;
  options: DeliveryOptions;
  retry: RetryPolicy;
  verdicts: Map<Message<unknown>, Verdict>;
  settlement: Settlement;
}

/** The next wait after a transient failure, under this env's policy. */
function transientDelay(attempts: number, policy: RetryPolicy, random?: () => number): number {
  return transientRetryDelay(attempts, policy.baseSeconds, random, policy.maxSeconds);
}

/**
 * Consumes one batch of the delivery queue. Every message ends acked or
 * retried; nothing is acked unless X accepted it, it is a known duplicate, or
 * it is safely stored again (re-enqueued to wait, or on the dead letter queue).
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
  const verdicts = new Map<Message<unknown>, Verdict>();
  const configResult = configFor(env);
  const budget = env.RATE_BUDGET;
  if (!configResult.ok || !budget) {
    log.error('delivery paused: edge misconfigured, conversions kept and retried', {
      problems: configResult.ok ? ['RATE_BUDGET binding missing'] : configResult.problems,
      messages: batch.messages.length,
    });
    for (const msg of batch.messages)
      msg.retry({ delaySeconds: misconfiguredRetryDelay(msg.attempts) });
    return;
  }
  const { retry } = configResult.config;

  const groups = new Map<string, Message<DeliveryMessage>[]>();
  for (const msg of batch.messages) {
    if (!isDeliveryMessage(msg.body)) {
      // Can never be sent; keep it for a human rather than retrying 100 times.
      log.error('malformed delivery message dead-lettered', { id: msg.id });
      await deadLetterOrRetry(env, msg, msg.body, verdicts, retry);
      continue;
    }
    const typed = msg as Message<DeliveryMessage>;
    const group = groups.get(typed.body.pixelId) ?? [];
    group.push(typed);
    groups.set(typed.body.pixelId, group);
  }

  await Promise.all(
    [...groups].map(([pixelId, messages]) =>
      deliverGroup(
        {
          config: configResult.config,
          env,
          pixelId,
          budget: budget.get(budget.idFromName(pixelId)),
          options,
          retry,
          verdicts,
          settlement: { delivered: [], released: [] },
        },
        messages,
      ),
    ),
  );

  const postponed: [Message<DeliveryMessage>, number][] = [];
  for (const [msg, verdict] of verdicts) {
    if ('postpone' in verdict)
      postponed.push([msg as Message<DeliveryMessage>, verdict.delaySeconds]);
    else if (verdict.ack) msg.ack();
    else msg.retry({ delaySeconds: verdict.delaySeconds });
  }
  await postpone(env, postponed);
}

/**
 * Re-enqueues messages that must wait without having failed, carrying their
 * failures so far, then acks the originals. If the queue refuses, they are
 * retried instead (nothing is acked that is not stored again).
 */
async function postpone(env: Env, waiting: [Message<DeliveryMessage>, number][]): Promise<void> {
  const queue = env.DELIVERY_QUEUE;
  for (let i = 0; i < waiting.length; i += 100) {
    const chunk = waiting.slice(i, i + 100);
    try {
      if (!queue) throw new Error('DELIVERY_QUEUE binding missing');
      await queue.sendBatch(
        chunk.map(([msg, delaySeconds]) => ({
          body: { ...msg.body, failures: failuresSoFar(msg) },
          delaySeconds,
          contentType: 'json' as const,
        })),
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
 * message plus this message's own retries (postponing never retries).
 */
function failuresSoFar(msg: Message<DeliveryMessage>): number {
  return (msg.body.failures ?? 0) + Math.max(msg.attempts - 1, 0);
}

/** One pixel's share of the batch: reserve, send, settle. */
async function deliverGroup(
  group: GroupContext,
  messages: Message<DeliveryMessage>[],
): Promise<void> {
  const stub = group.budget;
  const byKey = new Map<string, Message<DeliveryMessage>[]>();
  for (const msg of messages) {
    const key = claimKey(msg.body);
    byKey.set(key, [...(byKey.get(key) ?? []), msg]);
  }
  // Each copy of a key is asked for separately, so a second copy in the same
  // batch comes back in flight and is retried (then acked as a duplicate).
  // A claim names the copy's source: server copies are granted first.
  const keys = messages.map((m) => claimKey(m.body));
  let reservation: Awaited<ReturnType<typeof stub.reserve>>;
  try {
    reservation = await stub.reserve(keys, group.options.now?.());
  } catch (err) {
    log.warn('rate budget unavailable, retrying', {
      pixelId: group.pixelId,
      error: errorName(err),
    });
    for (const msg of messages) retryTransient(group, msg);
    return;
  }

  const take = (key: string): Message<DeliveryMessage> => {
    const list = byKey.get(key) ?? [];
    const msg = list.shift();
    if (!msg) throw new Error('reservation returned an unknown key');
    return msg;
  };
  for (const key of reservation.duplicates) group.verdicts.set(take(key), { ack: true });
  for (const key of reservation.inFlight) {
    // Another copy is being sent right now: look again soon (at least 1 s),
    // by then it is a duplicate to ack, or free to send if that send failed.
    const msg = take(key);
    group.verdicts.set(msg, {
      postpone: true,
      delaySeconds: Math.max(
        1,
        transientDelay(failuresSoFar(msg) + 1, group.retry, group.options.random),
      ),
    });
  }
  for (const key of reservation.deferred) {
    group.verdicts.set(take(key), {
      postpone: true,
      delaySeconds: rateLimitedRetryDelay(reservation.retryAfterSeconds, group.options.random),
    });
  }
  if (reservation.inFlight.length > 0 || reservation.deferred.length > 0) {
    log.info('conversions postponed', {
      pixelId: group.pixelId,
      inFlight: reservation.inFlight.length,
      overBudget: reservation.deferred.length,
      retryAfterSeconds: reservation.retryAfterSeconds,
    });
  }
  if (reservation.duplicates.length > 0) {
    log.info('duplicates skipped', {
      pixelId: group.pixelId,
      count: reservation.duplicates.length,
    });
  }

  const granted = reservation.granted.map(take);
  for (let i = 0; i < granted.length; i += MAX_CONVERSIONS_PER_REQUEST) {
    await sendAndJudge(group, granted.slice(i, i + MAX_CONVERSIONS_PER_REQUEST));
  }

  try {
    await stub.settle(group.settlement, group.options.now?.());
  } catch (err) {
    // Delivered ones stay leased until the lease ends, then a redelivered
    // copy could be resent once: X's own conversion_id dedup covers that.
    log.warn('could not record delivery for dedup', {
      pixelId: group.pixelId,
      error: errorName(err),
    });
  }
}

/** Sends one request and records a verdict for each of its messages. */
async function sendAndJudge(
  group: GroupContext,
  messages: Message<DeliveryMessage>[],
  bisecting = false,
): Promise<void> {
  const keys = messages.map((m) => claimKey(m.body));
  let outcome = await sendOnce(group, messages);
  // Mid-bisection X has just answered (a 400), so a 5xx now is a blip: try
  // again at once, twice at most. Otherwise one blip would send the whole
  // half back to the queue and the next round would start bisecting anew.
  for (
    let extra = 0;
    bisecting && outcome.kind === 'retryable' && extra < BISECTION_RETRIES;
    extra++
  ) {
    await new Promise((resolve) => setTimeout(resolve, BISECTION_RETRY_PAUSE_MS * (extra + 1)));
    outcome = await sendOnce(group, messages);
  }

  switch (outcome.kind) {
    case 'delivered':
      group.settlement.delivered.push(...keys);
      for (const msg of messages) group.verdicts.set(msg, { ack: true });
      return;
    case 'dry-run':
      // Not delivered, so not remembered: turning credentials on later must not skip these.
      group.settlement.released.push(...keys);
      for (const msg of messages) group.verdicts.set(msg, { ack: true });
      return;
    case 'retryable':
      group.settlement.released.push(...keys);
      log.warn('X unavailable, retrying', {
        pixelId: group.pixelId,
        status: outcome.status,
        reason: outcome.reason,
        count: messages.length,
      });
      for (const msg of messages) retryTransient(group, msg);
      return;
    case 'rate-limited': {
      group.settlement.released.push(...keys);
      const wait = outcome.retryAfterSeconds;
      log.warn('X rate limit hit, retrying', {
        pixelId: group.pixelId,
        retryAfterSeconds: wait,
      });
      await pauseBudget(group, wait);
      for (const msg of messages) {
        group.verdicts.set(msg, {
          postpone: true,
          delaySeconds: rateLimitedRetryDelay(wait, group.options.random),
        });
      }
      return;
    }
    case 'misconfigured':
      group.settlement.released.push(...keys);
      log.error(
        'X refused our credentials or pixel: fix the configuration; conversions are kept and retried',
        {
          pixelId: group.pixelId,
          status: outcome.status,
          errors: outcome.errors,
          count: messages.length,
        },
      );
      for (const msg of messages) {
        group.verdicts.set(msg, {
          ack: false,
          delaySeconds: misconfiguredRetryDelay(failuresSoFar(msg) + 1),
        });
      }
      return;
    case 'invalid': {
      if (messages.length === 1) {
        group.settlement.released.push(...keys);
        const [msg] = messages as [Message<DeliveryMessage>];
        const letter: DeadLetter = {
          ...msg.body,
          reason: { kind: 'rejected', status: 400, errors: outcome.errors },
          deadAt: Date.now(),
        };
        await deadLetterOrRetry(group.env, msg, letter, group.verdicts, group.retry);
        return;
      }
      // X is all-or-nothing: find the bad ones by halving (log2(100) ~ 7 levels).
      const middle = Math.ceil(messages.length / 2);
      await sendAndJudge(group, messages.slice(0, middle), true);
      await sendAndJudge(group, messages.slice(middle), true);
      return;
    }
  }
}

async function sendOnce(
  group: GroupContext,
  messages: Message<DeliveryMessage>[],
): Promise<DeliveryOutcome> {
  try {
    const conversions = await Promise.all(
      messages.map((m) =>
        openAddress(group.config, group.pixelId, m.body.conversion, m.body.sealedAddress),
      ),
    );
    return await group.options.send(group.config, conversions, { pixelId: group.pixelId });
  } catch (err) {
    return { kind: 'retryable', reason: `send threw: ${String(err)}` };
  }
}

function retryTransient(group: GroupContext, msg: Message<DeliveryMessage>): void {
  group.verdicts.set(msg, {
    ack: false,
    delaySeconds: transientDelay(failuresSoFar(msg) + 1, group.retry, group.options.random),
  });
}

async function pauseBudget(group: GroupContext, retryAfterSeconds: number): Promise<void> {
  try {
    await group.budget.pause(retryAfterSeconds);
  } catch (err) {
    log.warn('could not pause rate budget', { pixelId: group.pixelId, error: errorName(err) });
  }
}

/** Puts `body` on the dead letter queue and acks, or retries if that queue fails. */
async function deadLetterOrRetry(
  env: Env,
  msg: Message<unknown>,
  body: unknown,
  verdicts: Map<Message<unknown>, Verdict>,
  retry: RetryPolicy,
): Promise<void> {
  if (!env.DEAD_LETTER_QUEUE) {
    log.error('DEAD_LETTER_QUEUE binding missing: keeping the message', { id: msg.id });
    verdicts.set(msg, { ack: false, delaySeconds: misconfiguredRetryDelay(msg.attempts) });
    return;
  }
  try {
    await env.DEAD_LETTER_QUEUE.send(body as DeadLetter);
    verdicts.set(msg, { ack: true });
  } catch (err) {
    log.warn('dead letter queue unavailable, retrying', { id: msg.id, error: errorName(err) });
    verdicts.set(msg, { ack: false, delaySeconds: transientDelay(msg.attempts, retry) });
  }
}
