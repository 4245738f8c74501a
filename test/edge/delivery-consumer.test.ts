/**
 * The delivery queue consumer, driven directly with `createMessageBatch` and a
 * scripted X: which messages are acked, which retried and after how long,
 * what reaches the dead letter queue. The pixel's `RateBudget` is the real
 * Durable Object; each test uses its own pixel id so no state is shared.
 */
import { createMessageBatch } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EdgeConfig } from '../../edge/config.ts';
import { ledgerOf } from '../../edge/delivery/ledger-stub.ts';
import type { DeliveryMessage, QueuedConversions } from '../../edge/delivery/message.ts';
import type { SendToX } from '../../edge/delivery/queue-consumer.ts';
import { sealAddress } from '../../edge/delivery/seal-address.ts';
import type { Env } from '../../edge/env.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import type { SendOutcome } from '../../edge/x-api/x-client.ts';
import { runConsumer } from './consumer-run.ts';
import { queued } from './delivery-rig.ts';
import { configOf, recordingQueue } from './hostile-harness.ts';

type DeliveryOutcome = SendOutcome;

const QUEUE = 'x-capi-deliveries';
let pixelCounter = 0;

/** A pixel id no other test uses, so each test gets a fresh RateBudget. */
function freshPixel(): string {
  pixelCounter += 1;
  return `px${Date.now().toString(36)}${pixelCounter}`;
}

function conversion(id: string, extra: Partial<XConversion> = {}): XConversion {
  return {
    conversion_time: '2026-11-28T10:00:00.000Z',
    event_id: 'o9d2g',
    identifiers: [{ twclid: '26ofd9ed8tvlabf4n0z3uq0p6t' }],
    conversion_id: id,
    ...extra,
  };
}

function batchOf(
  pixelId: string,
  conversions: XConversion[],
  attempts = 1,
): MessageBatch<QueuedConversions> {
  return createMessageBatch<QueuedConversions>(
    QUEUE,
    conversions.map((c, i) => ({
      id: `m-${c.conversion_id}-${i}`,
      timestamp: new Date(),
      attempts,
      body: queued({ pixelId, conversion: c, acceptedAt: Date.now() }),
    })),
  );
}

/** A scripted X: records every request, answers with `answer(conversions)`. */
function scriptedX(answer: (conversions: XConversion[]) => DeliveryOutcome) {
  const requests: { pixelId: string; ids: string[] }[] = [];
  const send: SendToX = async (_config: EdgeConfig, conversions, { pixelId }) => {
    requests.push({ pixelId, ids: conversions.map((c) => c.conversion_id) });
    return answer(conversions);
  };
  return { send, requests };
}

const delivered = (): DeliveryOutcome => ({ kind: 'delivered', status: 200 });

/** An env whose delivery queue records what is re-enqueued (and can refuse). */
function envWithRecordedQueue(refuse = false): {
  env: Env;
  requeued: { body: DeliveryMessage; delaySeconds?: number }[];
} {
  const { queue, sent } = recordingQueue({ refuse });
  return { env: { ...env, DELIVERY_QUEUE: queue }, requeued: sent };
}

/** The pixel's delivery ledger (the real Durable Object). */
function ledger(pixelId: string) {
  const stub = ledgerOf(env, pixelId);
  if (!stub) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
  return stub;
}

/** Dead letters the pixel's ledger keeps. */
async function lettersOf(pixelId: string) {
  return (await ledger(pixelId).deadLetters({ limit: 100 })).dead_letters;
}

const dryRun = (): DeliveryOutcome => ({
  kind: 'dry-run',
  request: { method: 'POST', url: 'https://x.test', headers: {}, body: { conversions: [] } },
});

/** Runs the consumer on `batch`, with jitter 0 unless given. */
function run(
  batch: MessageBatch<QueuedConversions>,
  send: SendToX,
  testEnv: Env = env,
  random: () => number = () => 0,
) {
  return runConsumer(batch, testEnv, { send, random });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('deliverBatch: success', () => {
  it('sends one request per pixel and acks every message', async () => {
    const a = freshPixel();
    const b = freshPixel();
    const x = scriptedX(delivered);
    const batch = createMessageBatch<QueuedConversions>(QUEUE, [
      ...['a1', 'a2', 'a3'].map((id) => ({
        id,
        timestamp: new Date(),
        attempts: 1,
        body: queued({ pixelId: a, conversion: conversion(id), acceptedAt: 1 }),
      })),
      ...['b1', 'b2'].map((id) => ({
        id,
        timestamp: new Date(),
        attempts: 1,
        body: queued({ pixelId: b, conversion: conversion(id), acceptedAt: 1 }),
      })),
    ]);
    const result = await run(batch, x.send);

    expect(x.requests).toHaveLength(2);
    expect(x.requests.find((r) => r.pixelId === a)?.ids).toEqual(['a1', 'a2', 'a3']);
    expect(x.requests.find((r) => r.pixelId === b)?.ids).toEqual(['b1', 'b2']);
    expect(result.explicitAcks.sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    expect(result.retryMessages).toEqual([]);
  });

  it('opens the sealed address so X gets the IP and user agent', async () => {
    const pixel = freshPixel();
    const built = conversion('ip1', {
      identifiers: [{ ip_address: '192.0.2.9', user_agent: 'Mozilla/5.0 Test' }],
    });
    const { conversion: sealedConversion, sealedAddress } = await sealAddress(
      configOf(env),
      pixel,
      built,
    );
    const seen: XConversion[] = [];
    const send: SendToX = async (_config, conversions) => {
      seen.push(...conversions);
      return delivered();
    };
    const batch = createMessageBatch<QueuedConversions>(QUEUE, [
      {
        id: 'ip1',
        timestamp: new Date(),
        attempts: 1,
        body: queued({
          pixelId: pixel,
          conversion: sealedConversion,
          sealedAddress,
          acceptedAt: 1,
        }),
      },
    ]);
    const result = await run(batch, send);
    expect(seen).toEqual([built]);
    expect(result.explicitAcks).toEqual(['ip1']);
  });

  it('acks a dry run without remembering it as delivered', async () => {
    const pixel = freshPixel();
    const dry = scriptedX(dryRun);
    const first = await run(batchOf(pixel, [conversion('d1')]), dry.send);
    expect(first.explicitAcks).toHaveLength(1);

    // Credentials turned on later: the same conversion is still sent.
    const live = scriptedX(delivered);
    await run(batchOf(pixel, [conversion('d1')]), live.send);
    expect(live.requests).toEqual([{ pixelId: pixel, ids: ['d1'] }]);
  });
});

describe('deliverBatch: transient failures', () => {
  it('retries a 5xx with a delay that doubles with attempts, capped at 15 minutes', async () => {
    const unavailable = scriptedX(() => ({ kind: 'retryable', status: 503, reason: 'HTTP 503' }));
    const delays: number[] = [];
    for (const attempts of [1, 2, 4, 7, 30]) {
      const result = await run(
        batchOf(freshPixel(), [conversion('r1')], attempts),
        unavailable.send,
        { ...env, RETRY_BASE_SECONDS: '5' },
      );
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(result.retryMessages[0]?.delaySeconds ?? -1);
    }
    // RETRY_BASE_SECONDS = 5 (the default); with jitter 0 the delay is half the ceiling.
    expect(delays).toEqual([3, 5, 20, 160, 450]);
  });

  it('caps the backoff at RETRY_MAX_SECONDS when set', async () => {
    const unavailable = scriptedX(() => ({ kind: 'retryable', status: 503, reason: 'HTTP 503' }));
    const delays: number[] = [];
    for (const attempts of [1, 4, 9]) {
      const result = await run(
        batchOf(freshPixel(), [conversion('m1')], attempts),
        unavailable.send,
        { ...env, RETRY_BASE_SECONDS: '1', RETRY_MAX_SECONDS: '30' },
      );
      delays.push(result.retryMessages[0]?.delaySeconds ?? -1);
    }
    // Ceilings 1, 8, then 256 capped to 30; jitter 0 gives half of each.
    expect(delays).toEqual([1, 4, 15]);
  });

  it('counts failures carried by a re-enqueued message in the backoff', async () => {
    const unavailable = scriptedX(() => ({ kind: 'retryable', status: 503, reason: 'HTTP 503' }));
    const batch = createMessageBatch<QueuedConversions>(QUEUE, [
      {
        id: 'carried',
        timestamp: new Date(),
        attempts: 1,
        body: queued({
          pixelId: freshPixel(),
          conversion: conversion('c1'),
          acceptedAt: 1,
          failures: 3,
        }),
      },
    ]);
    const result = await run(batch, unavailable.send, { ...env, RETRY_BASE_SECONDS: '5' });
    // Fourth failure: ceiling 5 * 2^3 = 40 s, jitter 0 gives half.
    expect(result.retryMessages).toEqual([{ msgId: 'carried', delaySeconds: 20 }]);
  });

  it('spreads retries of one failure with jitter within [ceiling/2, ceiling]', async () => {
    const unavailable = scriptedX(() => ({ kind: 'retryable', reason: 'timeout' }));
    const batch = batchOf(freshPixel(), [conversion('j1')], 3);
    const result = await run(
      batch,
      unavailable.send,
      { ...env, RETRY_BASE_SECONDS: '5' },
      () => 0.999,
    );
    expect(result.retryMessages[0]?.delaySeconds).toBe(20);
  });

  it('can deliver a conversion whose earlier send failed (a failure is not remembered)', async () => {
    const pixel = freshPixel();
    await run(
      batchOf(pixel, [conversion('f1')]),
      scriptedX(() => ({ kind: 'retryable', reason: 'x' })).send,
    );
    const x = scriptedX(delivered);
    const result = await run(batchOf(pixel, [conversion('f1')], 2), x.send);
    expect(x.requests).toHaveLength(1);
    expect(result.explicitAcks).toHaveLength(1);
  });
});

describe('deliverBatch: rate limits', () => {
  it("re-enqueues for X's Retry-After on 429 and holds the pixel's other sends", async () => {
    const pixel = freshPixel();
    const { env: queueEnv, requeued } = envWithRecordedQueue();
    const limited = scriptedX(() => ({
      kind: 'rate-limited',
      status: 429,
      retryAfterSeconds: 120,
    }));
    const result = await run(
      batchOf(pixel, [conversion('l1'), conversion('l2')], 3),
      limited.send,
      queueEnv,
    );
    // Stored again with X's delay, then acked: a wait is not a failure.
    expect(requeued.map((r) => [r.body.conversion.conversion_id, r.delaySeconds])).toEqual([
      ['l1', 120],
      ['l2', 120],
    ]);
    expect(requeued[0]?.body.failures).toBe(2);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toEqual([]);

    // The budget is paused: the next batch waits without calling X.
    const x = scriptedX(delivered);
    requeued.length = 0;
    await run(batchOf(pixel, [conversion('l3')]), x.send, queueEnv);
    expect(x.requests).toEqual([]);
    expect(requeued).toHaveLength(1);
    expect(requeued[0]?.delaySeconds).toBeGreaterThanOrEqual(119);
    expect(requeued[0]?.delaySeconds).toBeLessThanOrEqual(120);
  });

  it('retries instead of acking when the queue refuses to take a postponed message back', async () => {
    const { env: refusing } = envWithRecordedQueue(true);
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const limited = scriptedX(() => ({ kind: 'rate-limited', status: 429, retryAfterSeconds: 30 }));
    const result = await run(batchOf(freshPixel(), [conversion('r9')]), limited.send, refusing);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: 'm-r9-0', delaySeconds: 30 }]);
  });
});

describe('deliverBatch: invalid conversions', () => {
  it('isolates bad conversions by bisection, dead-letters them with X reason, delivers the rest', async () => {
    const pixel = freshPixel();
    const accepted: string[] = [];
    const x = scriptedX((conversions) => {
      const bad = conversions.findIndex((c) => c.value === 'bad');
      if (bad >= 0) {
        return {
          kind: 'invalid',
          status: 400,
          errors: [
            {
              code: 'INVALID_PARAMETER',
              message: `value (bad) is not a valid decimal`,
              parameter: 'value',
            },
          ],
        };
      }
      accepted.push(...conversions.map((c) => c.conversion_id));
      return delivered();
    });
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const batch = batchOf(
      pixel,
      ids.map((id) => conversion(id, id === 'c3' || id === 'c17' ? { value: 'bad' } : {})),
    );
    const result = await run(batch, x.send);

    expect(accepted.sort()).toEqual(ids.filter((id) => id !== 'c3' && id !== 'c17').sort());
    expect(new Set(accepted).size).toBe(accepted.length);
    const letters = await lettersOf(pixel);
    expect(letters.map((l) => l.conversion_id).sort()).toEqual(['c17', 'c3']);
    for (const letter of letters) {
      expect(letter).toMatchObject({
        event: 'o9d2g',
        reason: 'rejected',
        status: 400,
        message: 'value (bad) is not a valid decimal',
      });
    }
    expect(result.explicitAcks).toHaveLength(20);
    expect(result.retryMessages).toEqual([]);
    // Halving 20 with 2 bad needs far fewer requests than one per conversion.
    expect(x.requests.length).toBeLessThan(20);
  });

  it('retries a half that meets a 5xx during bisection at once instead of re-queueing it', async () => {
    const pixel = freshPixel();
    let requests = 0;
    const accepted: string[] = [];
    const x = scriptedX((conversions) => {
      requests += 1;
      if (requests === 2) return { kind: 'retryable', status: 503, reason: 'X answered 503' };
      if (conversions.some((c) => c.value === 'bad')) {
        return {
          kind: 'invalid',
          status: 400,
          errors: [{ code: 'INVALID_PARAMETER', message: 'bad value' }],
        };
      }
      accepted.push(...conversions.map((c) => c.conversion_id));
      return delivered();
    });
    const ids = ['g0', 'g1', 'g2', 'g3'];
    const result = await run(
      batchOf(
        pixel,
        ids.map((id) => conversion(id, id === 'g3' ? { value: 'bad' } : {})),
      ),
      x.send,
    );
    expect(accepted.sort()).toEqual(['g0', 'g1', 'g2']);
    expect((await lettersOf(pixel)).map((l) => l.conversion_id)).toEqual(['g3']);
    expect(result.retryMessages).toEqual([]);
    // The first half was sent twice: once answered 503, once delivered.
    expect(x.requests[1]?.ids).toEqual(['g0', 'g1']);
    expect(x.requests[2]?.ids).toEqual(['g0', 'g1']);
  });

  it('retries instead of acking when the ledger cannot keep the dead letter', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const real = env.DELIVERY_LEDGER;
    if (!real) throw new Error('DELIVERY_LEDGER binding missing');
    const failing = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => ({
        begin: (...args: Parameters<ReturnType<typeof real.get>['begin']>) =>
          real.get(id).begin(...args),
        finish: async () => {
          throw new Error('ledger unavailable');
        },
      }),
    } as unknown as NonNullable<Env['DELIVERY_LEDGER']>;
    const x = scriptedX(() => ({
      kind: 'invalid',
      status: 400,
      errors: [{ code: 'X', message: 'bad' }],
    }));
    const result = await run(batchOf(freshPixel(), [conversion('q1')]), x.send, {
      ...env,
      DELIVERY_LEDGER: failing,
    });
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
  });
});

describe('deliverBatch: refused credentials', () => {
  it('holds the conversions in the ledger without spending retries and blocks the pixel', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const pixel = freshPixel();
    const x = scriptedX(() => ({
      kind: 'misconfigured',
      status: 401,
      errors: [{ code: 'UNAUTHORIZED', message: 'Could not authenticate you' }],
    }));
    const result = await run(batchOf(pixel, [conversion('u1'), conversion('u2')]), x.send);
    expect(result.explicitAcks.sort()).toEqual(['m-u1-0', 'm-u2-1']);
    expect(result.retryMessages).toEqual([]);
    expect(String(errors.mock.calls[0]?.[0])).toContain('Could not authenticate you');
    const health = await ledger(pixel).health();
    expect(health).toMatchObject({ state: 'blocked' });
    expect(health.reason).toContain('X answers 401: credentials refused');
    const status = await ledger(pixel).conversion('u1');
    expect(status).toMatchObject({
      state: 'waiting',
      waiting_reason: 'pixel_refused',
      attempts: 1,
    });

    // While blocked, later conversions are held without a request to X.
    const later = scriptedX(delivered);
    const held = await run(batchOf(pixel, [conversion('u3')]), later.send);
    expect(later.requests).toEqual([]);
    expect(held.explicitAcks).toEqual(['m-u3-0']);
  });
});

describe('deliverBatch: dedup', () => {
  it('forwards a conversion accepted twice only once', async () => {
    const pixel = freshPixel();
    const x = scriptedX(delivered);
    await run(batchOf(pixel, [conversion('o1'), conversion('o2')]), x.send);
    const again = await run(batchOf(pixel, [conversion('o1'), conversion('o3')]), x.send);

    expect(x.requests.map((r) => r.ids)).toEqual([['o1', 'o2'], ['o3']]);
    expect(again.explicitAcks).toHaveLength(2);
  });

  it('treats the same conversion id on another event as a different conversion', async () => {
    const pixel = freshPixel();
    const x = scriptedX(delivered);
    await run(batchOf(pixel, [conversion('e1')]), x.send);
    await run(batchOf(pixel, [conversion('e1', { event_id: 'o9d2h' })]), x.send);
    expect(x.requests).toHaveLength(2);
  });

  it('sends one of two copies in a batch and acks the other once the first is delivered', async () => {
    const pixel = freshPixel();
    const { env: queueEnv, requeued } = envWithRecordedQueue();
    const x = scriptedX(delivered);
    const first = await run(batchOf(pixel, [conversion('t1'), conversion('t1')]), x.send, queueEnv);
    expect(x.requests).toEqual([{ pixelId: pixel, ids: ['t1'] }]);
    // One delivered, the other stored again to look later: both originals acked.
    expect(first.explicitAcks).toHaveLength(2);
    expect(requeued).toHaveLength(1);
    // Checked again soon (not after the 5-minute lease): by then it is a duplicate.
    expect(requeued[0]?.delaySeconds).toBe(1);

    const retried = await run(batchOf(pixel, [conversion('t1')], 2), x.send);
    expect(x.requests).toHaveLength(1);
    expect(retried.explicitAcks).toHaveLength(1);
  });
});
