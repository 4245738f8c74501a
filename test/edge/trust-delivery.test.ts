/**
 * Attacks on delivery, end to end in workerd on simulated time: the real
 * routes accept the calls, the real consumer and ledger deliver them to
 * the fake X over HTTP, and the queue between them is a recorder that honours
 * each message's `delaySeconds` on a simulated clock (the budget gets the same
 * clock), so minutes of traffic run in a second and every run is the same.
 */
import { createExecutionContext, createMessageBatch, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { DeliveryLedger } from '../../edge/delivery/delivery-ledger.ts';
import type { QueuedConversions } from '../../edge/delivery/message.ts';
import type { Env } from '../../edge/env.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { sendConversions } from '../../edge/x-api/x-client.ts';
import { type FakeAccount, fakeXControl } from '../fake-x/control.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { runConsumer } from './consumer-run.ts';

const fakeX = fakeXControl(inject('fakeXUrl'));
const SHOP = 'https://shop.example';
const QUEUE = 'x-capi-deliveries';

interface Queued {
  id: string;
  body: QueuedConversions;
  visibleAt: number;
  attempts: number;
}

/** A delivery queue on a simulated clock, drained by the real consumer. */
function simulatedQueue(start: number) {
  let clock = start;
  let nextId = 0;
  const waiting: Queued[] = [];
  const add = (body: QueuedConversions, delaySeconds = 0, attempts = 1) => {
    nextId += 1;
    waiting.push({ id: `sim-${nextId}`, body, visibleAt: clock + delaySeconds * 1000, attempts });
  };
  const queue = {
    async send(body: QueuedConversions, options?: QueueSendOptions) {
      add(body, options?.delaySeconds);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<QueuedConversions>>) {
      for (const m of messages) add(m.body, m.delaySeconds);
    },
  } as unknown as Queue<QueuedConversions>;

  /** Runs the consumer on what is visible now, in batches of 100 as Cloudflare would. */
  async function consume(testEnv: Env): Promise<void> {
    const visible = waiting
      .filter((m) => m.visibleAt <= clock)
      .sort((a, b) => a.visibleAt - b.visibleAt);
    for (let i = 0; i < visible.length; i += 100) {
      const chunk = visible.slice(i, i + 100);
      for (const m of chunk) waiting.splice(waiting.indexOf(m), 1);
      const batch = createMessageBatch<QueuedConversions>(
        QUEUE,
        chunk.map((m) => ({
          id: m.id,
          timestamp: new Date(clock),
          attempts: m.attempts,
          body: m.body,
        })),
      );
      const result = await runConsumer(batch, testEnv, {
        send: sendConversions,
        now: () => clock,
        random: () => 0.5,
      });
      for (const r of result.retryMessages) {
        const m = chunk.find((c) => c.id === r.msgId) as Queued;
        add(m.body, r.delaySeconds ?? 0, m.attempts + 1);
      }
    }
  }

  return {
    queue,
    now: () => clock,
    pending: () => waiting.length,
    /** Moves the clock on by `seconds`, one consumer run per simulated second. */
    async run(testEnv: Env, seconds: number, until: () => Promise<boolean> = async () => false) {
      for (let s = 0; s < seconds; s += 1) {
        await consume(testEnv);
        if (await until()) return true;
        clock += 1000;
      }
      return false;
    },
  };
}

/**
 * The pixel's real `DeliveryLedger` storage, run under this test's quota
 * settings (the runtime builds Durable Objects with the Worker's own env,
 * which the test cannot change). One instance per object, as the runtime
 * keeps one: its leases live in memory between `begin` and `finish`.
 */
function ledgerWith(settings: Partial<Env>): NonNullable<Env['DELIVERY_LEDGER']> {
  const real = env.DELIVERY_LEDGER;
  if (!real) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
  const instances = new Map<string, DeliveryLedger>();
  const inside = <R>(id: DurableObjectId, use: (ledger: DeliveryLedger) => R) =>
    runInDurableObject(real.get(id), (_instance: DeliveryLedger, state) => {
      let ledger = instances.get(id.toString());
      if (!ledger) {
        ledger = new DeliveryLedger(state, { ...env, ...settings });
        instances.set(id.toString(), ledger);
      }
      return use(ledger);
    });
  return {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => ({
      begin: (...args: Parameters<DeliveryLedger['begin']>) => inside(id, (l) => l.begin(...args)),
      finish: (...args: Parameters<DeliveryLedger['finish']>) =>
        inside(id, (l) => l.finish(...args)),
    }),
  } as unknown as NonNullable<Env['DELIVERY_LEDGER']>;
}

const app = createApp('');

/** The test bindings, sending to the fake's `account` through the simulated queue. */
function envFor(
  account: FakeAccount,
  sim: ReturnType<typeof simulatedQueue>,
  overrides: Partial<Env>,
): Env {
  return {
    ...env,
    X_PIXEL_ID: account.pixelId,
    X_EVENTS: JSON.stringify(account.events),
    DELIVERY_QUEUE: sim.queue,
    ...overrides,
  };
}

async function post(testEnv: Env, init: RequestInit & { headers: Record<string, string> }) {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request('https://edge.example/events', { method: 'POST', ...init }),
    testEnv,
    ctx,
  );
  return res;
}

function beacon(
  body: unknown,
  ip: string,
  twclid: string,
): RequestInit & { headers: Record<string, string> } {
  return {
    headers: {
      'content-type': 'text/plain;charset=UTF-8',
      origin: SHOP,
      'cf-connecting-ip': ip,
      'user-agent': 'Mozilla/5.0 (Attacker) curl-like/1.0',
      cookie: `_twclid=${twclid}`,
    },
    body: JSON.stringify(body),
  };
}

function serverCall(body: unknown): RequestInit & { headers: Record<string, string> } {
  return {
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${TEST_ACCOUNT.serverKey}`,
      'cf-connecting-ip': '192.0.2.10',
    },
    body: JSON.stringify(body),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('suppressing a real conversion with a browser copy', () => {
  it('browser first, server second: X gets the server copy, the forged one is dropped', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const account = await fakeX.addAccount();
    const sim = simulatedQueue(Date.now());
    const testEnv = envFor(account, sim, { BROWSER_HOLD_SECONDS: '60' });
    const forged = await post(
      testEnv,
      beacon(
        { event: 'purchase', conversion_id: 'order-1001', value: '0.01' },
        '198.51.100.66',
        'attacker-click',
      ),
    );
    expect(forged.status).toBe(202);
    // The consumer runs before the backend calls: the forged copy is already queued.
    await sim.run(testEnv, 5);
    const real = await post(
      testEnv,
      serverCall({
        event: 'purchase',
        conversion_id: 'order-1001',
        value: '120.00',
        currency: 'USD',
        email: 'buyer@example.com',
        ip_address: '203.0.113.5',
        user_agent: 'Mozilla/5.0 (Buyer)',
      }),
    );
    expect(real.status).toBe(202);
    await sim.run(testEnv, 180);
    expect(sim.pending()).toBe(0);

    const { conversions } = await fakeX.received(account.pixelId);
    const order = conversions.filter((c: XConversion) => c.conversion_id === 'order-1001');
    expect(order).toHaveLength(1);
    expect(order[0]?.value).toBe('120.00');
    expect(order[0]?.identifiers).toContainEqual({
      ip_address: '203.0.113.5',
      user_agent: 'Mozilla/5.0 (Buyer)',
    });
    expect(order[0]?.identifiers).not.toContainEqual({ twclid: 'attacker-click' });
  });

  it('a browser copy with its own id is still delivered, once the hold is over', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const account = await fakeX.addAccount();
    const sim = simulatedQueue(Date.now());
    const testEnv = envFor(account, sim, { BROWSER_HOLD_SECONDS: '60' });
    const start = sim.now();
    await post(
      testEnv,
      beacon({ event: 'lead', conversion_id: 'lead-7' }, '198.51.100.67', 'real-click'),
    );
    let deliveredAt = 0;
    const delivered = await sim.run(testEnv, 120, async () => {
      const { conversions } = await fakeX.received(account.pixelId);
      if (conversions.length === 0) return false;
      deliveredAt = sim.now();
      return true;
    });
    expect(delivered).toBe(true);
    expect(deliveredAt - start).toBeGreaterThanOrEqual(60_000);
    const { conversions } = await fakeX.received(account.pixelId);
    expect(conversions.map((c: XConversion) => c.identifiers[0])).toEqual([
      { twclid: 'real-click' },
    ]);
  });
});

describe('crowding out the budget', () => {
  it('a flood from many /64s of one /48 fills the queue, and a server purchase still reaches X within a minute', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const account = await fakeX.addAccount();
    const sim = simulatedQueue(Date.now());
    const testEnv = envFor(account, sim, {
      BROWSER_HOLD_SECONDS: '0',
      DELIVERY_LEDGER: ledgerWith({ X_RATE_LIMIT_EVENTS: '20', X_RATE_LIMIT_WINDOW_SECONDS: '60' }),
    });
    // One routed /48 of the documentation range, each call from another /64: the
    // per-address limit sees 200 clients (test/edge/trust-rate-limit.test.ts shows
    // the /48 allowance cutting a longer flood off).
    const site = `2001:db8:${(Date.now() % 0xffff).toString(16)}`;
    const FLOOD = 200;
    for (let i = 0; i < FLOOD; i += 50) {
      const chunk = Array.from({ length: Math.min(50, FLOOD - i) }, (_, j) => i + j);
      const answers = await Promise.all(
        chunk.map((n) =>
          post(
            testEnv,
            beacon(
              { event: 'purchase', conversion_id: `fake-${n}`, value: 999999 },
              `${site}:${(n * 37).toString(16)}::${(n + 1).toString(16)}`,
              `f${n}`,
            ),
          ),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(chunk.map(() => 202));
    }

    // The flood has the queue; the budget is 20 a minute. Then a real purchase.
    await sim.run(testEnv, 3);
    const orderedAt = sim.now();
    expect(
      (
        await post(
          testEnv,
          serverCall({
            event: 'purchase',
            conversion_id: 'real-order-1',
            value: '45.00',
            email: 'buyer@example.com',
            ip_address: '203.0.113.9',
            user_agent: 'Mozilla/5.0 (Buyer)',
          }),
        )
      ).status,
    ).toBe(202);
    let arrivedAt = 0;
    const arrived = await sim.run(testEnv, 60, async () => {
      const { conversions } = await fakeX.received(account.pixelId);
      if (!conversions.some((c: XConversion) => c.conversion_id === 'real-order-1')) return false;
      arrivedAt = sim.now();
      return true;
    });
    expect(arrived).toBe(true);
    expect(arrivedAt - orderedAt).toBeLessThanOrEqual(60_000);
    // Browser copies never took more than their half of the window.
    const { conversions } = await fakeX.received(account.pixelId);
    expect(conversions.filter((c: XConversion) => c.conversion_id.startsWith('fake-')).length).toBe(
      10,
    );
  }, 30_000);
});
