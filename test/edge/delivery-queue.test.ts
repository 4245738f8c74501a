/**
 * Durable delivery end to end inside workerd: conversions go onto the REAL
 * local delivery queue (wrangler.toml bindings through the vitest plugin), the
 * Worker's own queue handler consumes them and sends them with the real X
 * client to the fake X API, which injects faults. We poll what the fake
 * received with a bounded wait. RETRY_BASE_SECONDS is 0 in the test config so
 * retries after 5xx come back at once (a 429 still waits its second or two).
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { type FakeAccount, fakeXControl } from '../fake-x/control.ts';
import { queued } from './delivery-rig.ts';

const fakeX = fakeXControl(inject('fakeXUrl'));

function conversionFor(
  account: FakeAccount,
  id: string,
  hashedEmail = 'a'.repeat(64),
): XConversion {
  return {
    conversion_time: new Date().toISOString(),
    event_id: account.events.purchase ?? 'o9d2g',
    identifiers: [{ hashed_email: hashedEmail }],
    conversion_id: id,
    value: '20.00',
    price_currency: 'USD',
  };
}

async function enqueue(pixelId: string, conversions: XConversion[]): Promise<void> {
  const queue = env.DELIVERY_QUEUE;
  if (!queue) throw new Error('DELIVERY_QUEUE binding missing from wrangler.toml');
  for (let i = 0; i < conversions.length; i += 100) {
    await queue.sendBatch(
      conversions.slice(i, i + 100).map((conversion) => ({
        body: queued({ pixelId, conversion, acceptedAt: Date.now() }),
        contentType: 'json' as const,
      })),
    );
  }
}

/** Polls the pixel's ledger until it keeps `count` dead letters, at most `limitMs`. */
async function waitForDeadLetters(pixelId: string, count: number, limitMs: number) {
  const ns = env.DELIVERY_LEDGER;
  if (!ns) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
  const ledger = ns.get(ns.idFromName(pixelId));
  const deadline = Date.now() + limitMs;
  let letters = (await ledger.deadLetters({ limit: 100 })).dead_letters;
  while (letters.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    letters = (await ledger.deadLetters({ limit: 100 })).dead_letters;
  }
  return letters;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('delivery through the real local queue', () => {
  it('delivers 1,000 conversions exactly once through 30% 503s and some 429s, dead-letters the invalid', async () => {
    const account = await fakeX.addAccount();
    await fakeX.setFaults(account.pixelId, {
      random: {
        seed: 20261128,
        faults: [
          { rate: 0.3, fault: { kind: 'status', status: 503 } },
          { rate: 0.05, fault: { kind: 'status', status: 429, resetAfterSeconds: 1 } },
        ],
      },
    });
    const good = Array.from({ length: 1000 }, (_, i) => conversionFor(account, `order-${i}`));
    const bad = [17, 404, 911].map((i) => conversionFor(account, `bad-${i}`, 'abc'));
    // Bad ones mixed into the batches, so bisection has to find them.
    const all = [...good];
    for (const [i, b] of bad.entries()) all.splice(100 + i * 300, 0, b);
    await enqueue(account.pixelId, all);

    const received = await fakeX.receivedWhen(
      account.pixelId,
      (r) => r.conversions.length >= good.length,
      50_000,
    );
    const deadLetters = await waitForDeadLetters(account.pixelId, bad.length, 10_000);

    const ids = received.conversions.map((c) => c.conversion_id);
    expect(ids.length).toBe(good.length);
    expect(new Set(ids).size).toBe(good.length);
    expect(new Set(ids)).toEqual(new Set(good.map((c) => c.conversion_id)));
    // Faults really happened, and batching kept requests far below one per conversion.
    const statuses = received.requests.map((r) => r.status);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(received.requests.filter((r) => r.outcome === 'accepted').length).toBeLessThan(100);

    expect(deadLetters.map((d) => d.conversion_id).sort()).toEqual([
      'bad-17',
      'bad-404',
      'bad-911',
    ]);
    for (const letter of deadLetters) {
      expect(letter).toMatchObject({ reason: 'rejected', status: 400 });
      expect(letter.message).toContain('hashed_email (abc) is not a valid SHA-256 hash');
    }
  }, 60_000);

  it('keeps everything through an outage and delivers it all after recovery', async () => {
    const account = await fakeX.addAccount();
    await fakeX.setFaults(account.pixelId, {
      next: [{ kind: 'status', status: 503, times: 12 }],
    });
    const conversions = Array.from({ length: 300 }, (_, i) => conversionFor(account, `o-${i}`));
    await enqueue(account.pixelId, conversions);

    const received = await fakeX.receivedWhen(
      account.pixelId,
      (r) => r.conversions.length >= 300,
      30_000,
    );
    const outage = received.requests.slice(0, 12);
    expect(outage.every((r) => r.status === 503)).toBe(true);
    expect(received.conversions.map((c) => c.conversion_id).sort()).toEqual(
      conversions.map((c) => c.conversion_id).sort(),
    );
  }, 40_000);
});
