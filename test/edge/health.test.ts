import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../edge/env.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { createEdge } from './hostile-harness.ts';

/** The real ledgers, counting how often a route reaches one. */
function countingLedgers() {
  const real = env.DELIVERY_LEDGER;
  if (!real) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
  const counter = { calls: 0 };
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => {
      counter.calls += 1;
      return real.get(id);
    },
  } as unknown as NonNullable<Env['DELIVERY_LEDGER']>;
  return { namespace, counter };
}

describe('GET /health', () => {
  it('answers anyone with ok and the delivery state only', async () => {
    const res = await exports.default.fetch('https://edge.example/health');
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toEqual({
      ok: true,
      delivery: { state: 'ok', since: expect.any(String), reason: null },
    });
    // The first request loads the Worker's modules, which can take seconds on a busy machine.
  }, 60_000);

  it('adds pixel, events, problems and dry run for the server key, never a secret', async () => {
    const res = await exports.default.fetch('https://edge.example/health', {
      headers: { authorization: `Bearer ${TEST_ACCOUNT.serverKey}` },
    });
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      ok: true,
      delivery: { state: 'ok' },
      pixel_id: 'o9d7n',
      events: TEST_ACCOUNT.events,
      problems: [],
      auth: 'oauth1',
      dry_run: false,
    });
    expect(JSON.stringify(body)).not.toContain('secret');
  });

  it('answers a wrong key with 401 in X shape', async () => {
    const res = await exports.default.fetch('https://edge.example/health', {
      headers: { authorization: 'Bearer not-the-key' },
    });
    expect(res.status).toBe(401);
    const body = await res.json<{ errors: { code: string }[] }>();
    expect(body.errors[0]?.code).toBe('UNAUTHORIZED');
  });

  it('shares one ledger read among anonymous callers for HEALTH_CACHE_SECONDS; the server key reads fresh', async () => {
    const { namespace, counter } = countingLedgers();
    const pixel = `hc${Date.now().toString(36)}`;
    const edge = createEdge({
      X_PIXEL_ID: pixel,
      HEALTH_CACHE_SECONDS: '5',
      DELIVERY_LEDGER: namespace,
    });
    const anonymous = () => edge.call({ method: 'GET', path: '/health', origin: null });
    const burst = await Promise.all(Array.from({ length: 20 }, anonymous));
    for (let i = 0; i < 10; i++) burst.push(await anonymous());
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    expect(burst[0]?.json).toMatchObject({ ok: true, delivery: { state: 'ok' } });
    expect(counter.calls).toBe(1);

    const keyed = await edge.call({
      method: 'GET',
      path: '/health',
      origin: null,
      headers: { authorization: `Bearer ${TEST_ACCOUNT.serverKey}` },
    });
    expect(keyed.json).toMatchObject({ pixel_id: pixel });
    expect(counter.calls).toBe(2);

    const uncached = countingLedgers();
    const every = createEdge({
      X_PIXEL_ID: `${pixel}n`,
      HEALTH_CACHE_SECONDS: '0',
      DELIVERY_LEDGER: uncached.namespace,
    });
    for (let i = 0; i < 3; i++) await every.call({ method: 'GET', path: '/health', origin: null });
    expect(uncached.counter.calls).toBe(3);
  });
});
