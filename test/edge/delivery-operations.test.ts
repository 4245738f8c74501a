/**
 * After the 202, end to end inside workerd: the real local delivery queue and
 * the Worker's own consumer, each pixel's real `DeliveryLedger` and
 * `RateBudget`, the fake X over HTTP switched into failure modes (revoked
 * token, outage, an event not in the account, chosen conversions rejected),
 * and the operator routes read through the real app with the server key.
 *
 * Time: where the design waits (a probe every 50 s, an event probe hourly,
 * 7 days of holding) the test calls the ledger's `runDue(now)` with that much
 * later a clock instead of waiting; queue processing is real and polled with
 * bounded waits.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  EVENT_PROBE_INTERVAL_MS,
  HOLD_MAX_MS,
  PROBE_INTERVAL_MS,
} from '../../edge/delivery/delivery-ledger.ts';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import { sealAddress } from '../../edge/delivery/seal-address.ts';
import type { XIdentifier } from '../../edge/x-api/conversion.ts';
import {
  consume,
  conversion,
  edgeFor,
  enqueue,
  fakeX,
  freshPixel,
  HASH,
  ids,
  keyed,
  ledger,
  message,
  operatorGet,
  poll,
  quiet,
  received,
  TWCLID,
} from './delivery-rig.ts';
import { configOf } from './hostile-harness.ts';

describe('credentials refused (401), then fixed', () => {
  it('holds every conversion without spending retries, probes, and delivers all once when X accepts again', async () => {
    const { account, pixel, edge } = await freshPixel();
    await fakeX.setFaults(pixel, { revoked: true });
    const orders = Array.from({ length: 10 }, (_, i) => `rv-${i}`);
    await enqueue(
      orders.map((id) => message(pixel, 'purchase', conversion(account, 'purchase', id))),
    );

    const held = await poll(
      () => ledger(pixel).status(),
      (s) => s.windows['1h'].events.purchase?.waiting.pixel_refused === 10,
    );
    expect(held.windows['1h'].events.purchase?.waiting).toEqual({ pixel_refused: 10 });
    const refused = await fakeX.received(pixel);
    expect(refused.conversions).toEqual([]);
    // Held, not cycled through the queue: a handful of requests, never one per retry.
    expect(refused.requests.length).toBeLessThanOrEqual(10);
    expect(refused.requests.every((r) => r.status === 401)).toBe(true);
    const one = await ledger(pixel).conversion('rv-0');
    expect(one).toMatchObject({ state: 'waiting', waiting_reason: 'pixel_refused' });
    expect(one?.attempts).toBeLessThanOrEqual(1);

    // /health: 503 for monitors, the reason in the public answer, details with the key.
    const publicHealth = await operatorGet(edge, '/health', false);
    expect(publicHealth.status).toBe(503);
    expect(publicHealth.json).toEqual({
      ok: false,
      delivery: {
        state: 'blocked',
        since: expect.any(String),
        reason: 'X answers 401: credentials refused',
      },
    });
    const keyedHealth = await operatorGet(edge, '/health');
    expect(keyedHealth.status).toBe(503);
    expect(keyedHealth.json).toMatchObject({
      ok: false,
      delivery: { reason: 'X answers 401: credentials refused (Invalid or expired token)' },
      pixel_id: pixel,
      dry_run: false,
    });

    // A probe at most PROBE_INTERVAL_MS after the last try: still refused, still held.
    const before = refused.requests.length;
    // One simulated clock for the probes: each runDue is a probe interval after the last.
    let clock = Date.now() + PROBE_INTERVAL_MS;
    await ledger(pixel).runDue(clock);
    const probed = await received(pixel, (r) => r.requests.length > before);
    expect(probed.requests.slice(before).map((r) => [r.status, r.count])).toEqual([[401, 1]]);
    expect(PROBE_INTERVAL_MS).toBeLessThanOrEqual(60_000);

    // The token is fixed; the next probe goes through and releases the rest.
    await fakeX.setFaults(pixel, {});
    await poll(
      () => ledger(pixel).health(),
      (h) => h.state === 'blocked',
    );
    clock = Math.max(clock, Date.now()) + PROBE_INTERVAL_MS;
    await ledger(pixel).runDue(clock);
    const delivered = await received(pixel, (r) => r.conversions.length >= 10);
    expect(ids(delivered).sort()).toEqual([...orders].sort());
    expect(new Set(ids(delivered)).size).toBe(ids(delivered).length);
    const health = await poll(
      () => ledger(pixel).health(),
      (h) => h.state === 'ok',
    );
    expect(health.state).toBe('ok');
    const okHealth = await operatorGet(edge, '/health', false);
    expect(okHealth.status).toBe(200);
    expect(okHealth.json).toEqual({
      ok: true,
      delivery: { state: 'ok', since: expect.any(String), reason: null },
    });
  }, 60_000);

  it('turns conversions held 7 days into expired dead letters instead of keeping them forever', async () => {
    const { account, pixel } = await freshPixel();
    await fakeX.setFaults(pixel, { revoked: true });
    await consume(
      ['ex-1', 'ex-2'].map((id) => message(pixel, 'purchase', conversion(account, 'purchase', id))),
    );
    await ledger(pixel).runDue(Date.now() + HOLD_MAX_MS - 60_000);
    expect((await ledger(pixel).deadLetters({ limit: 10 })).dead_letters).toEqual([]);
    await ledger(pixel).runDue(Date.now() + HOLD_MAX_MS + 1000);
    const { dead_letters } = await ledger(pixel).deadLetters({ limit: 10 });
    expect(dead_letters.map((l) => [l.conversion_id, l.reason]).sort()).toEqual([
      ['ex-1', 'expired'],
      ['ex-2', 'expired'],
    ]);
  });
});

describe('X outage (every request 503), then recovery', () => {
  it('reports degraded while X fails and delivers everything once after', async () => {
    const { account, pixel, edge } = await freshPixel();
    await fakeX.setFaults(pixel, { always: { kind: 'status', status: 503 } });
    const orders = Array.from({ length: 20 }, (_, i) => `out-${i}`);
    await enqueue(
      orders.map((id) => message(pixel, 'purchase', conversion(account, 'purchase', id))),
    );

    const degraded = await poll(
      () => ledger(pixel).health(),
      (h) => h.state === 'degraded',
    );
    // Degraded still answers 200: conversions flow, some wait.
    const health = await operatorGet(edge, '/health', false);
    await fakeX.setFaults(pixel, {});
    expect(degraded).toMatchObject({ state: 'degraded', reason: 'X answered 503' });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({
      ok: true,
      delivery: { state: 'degraded', reason: 'X answered 503' },
    });

    const delivered = await received(pixel, (r) => r.conversions.length >= 20, 30_000);
    expect(ids(delivered).sort()).toEqual([...orders].sort());
    expect(new Set(ids(delivered)).size).toBe(20);
    const after = await poll(
      () => ledger(pixel).health(),
      (h) => h.state === 'ok',
    );
    expect(after.state).toBe('ok');
  }, 60_000);
});

describe('a 404 for one event', () => {
  it('isolates that event, delivers the rest of the batch, and lets it flow once X knows the tag', async () => {
    const { account, pixel } = await freshPixel();
    await fakeX.setFaults(pixel, { unknownEventIds: [account.events.lead ?? ''] });
    await consume([
      ...['p1', 'p2', 'p3'].map((id) =>
        message(pixel, 'purchase', conversion(account, 'purchase', id)),
      ),
      ...['l1', 'l2'].map((id) => message(pixel, 'lead', conversion(account, 'lead', id))),
    ]);
    const first = await fakeX.received(pixel);
    expect(ids(first).sort()).toEqual(['p1', 'p2', 'p3']);
    const status = await ledger(pixel).status();
    expect(status.windows['1h'].events.lead?.waiting).toEqual({ event_not_found: 2 });
    expect(status.windows['1h'].events.purchase).toMatchObject({ accepted: 3, sent: 3 });
    expect(status.delivery).toMatchObject({ state: 'degraded' });
    expect(status.delivery.reason).toContain('event lead waits');
    expect(status.delivery.reason).toContain('does not belong to provided account');

    // X learns the tag; the hourly probe finds out and releases the others.
    await fakeX.setFaults(pixel, {});
    await ledger(pixel).runDue(Date.now() + EVENT_PROBE_INTERVAL_MS);
    const after = await received(pixel, (r) => r.conversions.length >= 5);
    expect(ids(after).sort()).toEqual(['l1', 'l2', 'p1', 'p2', 'p3']);
    expect((await ledger(pixel).health()).state).toBe('ok');
  }, 60_000);

  it('releases a refused event at once, with the new tag, when X_EVENTS maps it elsewhere', async () => {
    const { account, pixel } = await freshPixel();
    const events = { ...account.events, subscribe: 'zz0wrong' };
    const wrong = { ...env, X_EVENTS: JSON.stringify(events) };
    const sub = (id: string): DeliveryMessage =>
      message(pixel, 'subscribe', { ...conversion(account, 'purchase', id), event_id: 'zz0wrong' });
    // s1's address is sealed under the wrong tag (pixel, tag and id are its associated data).
    const address = { ip_address: '192.0.2.8', user_agent: 'Mozilla/5.0 Test' };
    const sealed = await sealAddress(configOf(env), pixel, {
      ...conversion(account, 'purchase', 's1', [TWCLID, address]),
      event_id: 'zz0wrong',
    });
    const s1: DeliveryMessage = {
      ...message(pixel, 'subscribe', sealed.conversion),
      ...(sealed.sealedAddress ? { sealedAddress: sealed.sealedAddress } : {}),
    };
    expect(s1.sealedAddress).toBeDefined();
    await consume([s1, sub('s2')], wrong);
    expect((await fakeX.received(pixel)).conversions).toEqual([]);
    expect((await ledger(pixel).conversion('s1'))?.waiting_reason).toBe('event_not_found');

    // The fix is deployed: the next batch the consumer handles carries the new map.
    const fixed = {
      ...env,
      X_EVENTS: JSON.stringify({ ...events, subscribe: account.events.signup }),
    };
    await consume(
      [message(pixel, 'purchase', conversion(account, 'purchase', 'after-fix'))],
      fixed,
    );
    const delivered = await received(pixel, (r) => r.conversions.length >= 3);
    expect(ids(delivered).sort()).toEqual(['after-fix', 's1', 's2']);
    const subs = delivered.conversions.filter((c) => c.conversion_id.startsWith('s'));
    expect(subs.every((c) => c.event_id === account.events.signup)).toBe(true);
    // The address still opens after the tag changed, and reaches X.
    const sentS1 = delivered.conversions.find((c) => c.conversion_id === 's1');
    expect(sentS1?.identifiers).toContainEqual(address);
  }, 60_000);
});

describe('conversions X rejects (400)', () => {
  it('are kept, listed, redriven and delivered once', async () => {
    const { account, pixel, edge } = await freshPixel();
    await fakeX.setFaults(pixel, { rejectConversionIds: ['r2'] });
    const email: XIdentifier[] = [{ hashed_email: HASH }];
    await enqueue(
      ['r1', 'r2', 'r3'].map((id) =>
        message(pixel, 'purchase', conversion(account, 'purchase', id, email)),
      ),
    );
    await received(pixel, (r) => r.conversions.length >= 2);
    await poll(
      () => ledger(pixel).deadLetters({ limit: 10 }),
      (page) => page.dead_letters.length > 0,
    );

    const list = await operatorGet(edge, '/dead-letters');
    expect(list.status).toBe(200);
    expect(list.json).toEqual({
      dead_letters: [
        {
          conversion_id: 'r2',
          event: 'purchase',
          reason: 'rejected',
          message: 'conversion_id (r2) was rejected',
          status: 400,
          accepted_at: expect.any(String),
          dead_at: expect.any(String),
        },
      ],
      next_cursor: null,
    });
    expect(list.text).not.toContain(HASH);
    const expired = await operatorGet(edge, '/dead-letters?reason=expired');
    expect(expired.json).toEqual({ dead_letters: [], next_cursor: null });
    const one = await operatorGet(edge, '/status/conversions/r2');
    expect(one.json).toMatchObject({
      conversion_id: 'r2',
      state: 'dead_lettered',
      error: 'conversion_id (r2) was rejected',
    });
    const unkeyed = await operatorGet(edge, '/dead-letters', false);
    expect(unkeyed.status).toBe(401);

    // The data is fixed on X's side; redrive twice: only the first puts it back.
    await fakeX.setFaults(pixel, {});
    const redrive = (json: unknown) =>
      edge.call({
        path: '/dead-letters/redrive',
        origin: null,
        contentType: 'application/json',
        headers: keyed,
        json,
      });
    expect((await redrive({ conversion_ids: ['r2'] })).json).toEqual({ redriven: 1, remaining: 0 });
    expect((await redrive({ conversion_ids: ['r2'] })).json).toEqual({ redriven: 0, remaining: 0 });
    const bad = await redrive({ conversion_ids: 'r2' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ errors: [{ parameter: 'conversion_ids' }] });
    // Any id ingest accepts can be named, `+` included.
    expect((await redrive({ conversion_ids: ['order+9'] })).json).toEqual({
      redriven: 0,
      remaining: 0,
    });

    const after = await received(pixel, (r) => r.conversions.length >= 3);
    expect(ids(after).sort()).toEqual(['r1', 'r2', 'r3']);
    // Another copy of r2 arrives with a new one: only the new one reaches X.
    await enqueue(
      ['r2', 'r4'].map((id) =>
        message(pixel, 'purchase', conversion(account, 'purchase', id, email)),
      ),
    );
    const last = await received(pixel, (r) => r.conversions.length >= 4);
    await poll(
      () => ledger(pixel).conversion('r4'),
      (c) => c?.state === 'sent',
    );
    expect(ids(last).filter((id) => id === 'r2')).toHaveLength(1);
    expect((await ledger(pixel).conversion('r2'))?.state).toBe('sent');
  }, 60_000);
});

describe('GET /status', () => {
  it('counts accepted, sent, waiting and dead-lettered per event, with identifier coverage', async () => {
    const { account, pixel, edge } = await freshPixel();
    await fakeX.setFaults(pixel, {
      rejectConversionIds: ['s4'],
      unknownEventIds: [account.events.lead ?? ''],
    });
    const sealed = await sealAddress(
      configOf(env),
      pixel,
      conversion(account, 'purchase', 's3', [
        { hashed_email: HASH },
        { ip_address: '192.0.2.7', user_agent: 'Mozilla/5.0 Test' },
      ]),
    );
    const s3: DeliveryMessage = {
      ...message(pixel, 'purchase', sealed.conversion),
      ...(sealed.sealedAddress ? { sealedAddress: sealed.sealedAddress } : {}),
    };
    await consume([
      message(
        pixel,
        'purchase',
        conversion(account, 'purchase', 's1', [TWCLID, { hashed_email: HASH }]),
      ),
      message(
        pixel,
        'purchase',
        conversion(account, 'purchase', 's2', [TWCLID, { hashed_phone_number: HASH }]),
      ),
      s3,
      message(pixel, 'purchase', conversion(account, 'purchase', 's4')),
      message(pixel, 'lead', conversion(account, 'lead', 'l1')),
    ]);

    const res = await operatorGet(edge, '/status');
    expect(res.status).toBe(200);
    const body = res.json as {
      windows: Record<string, { events: Record<string, unknown> }>;
      budget: { used: number; limit: number; window_seconds: number; resets_at: string };
      last_error: unknown;
      hourly: { accepted: number; sent: number; dead_lettered: number }[];
    };
    const expected = {
      purchase: {
        accepted: 4,
        sent: 3,
        waiting: {},
        dead_lettered: 1,
        skipped: {},
        sources: { server: 4 },
        coverage: { twclid: 0.75, email: 0.5, phone: 0.25, ip_user_agent: 0.25 },
      },
      lead: {
        accepted: 1,
        sent: 0,
        waiting: { event_not_found: 1 },
        dead_lettered: 0,
        skipped: {},
        sources: { server: 1 },
        coverage: { twclid: 1, email: 0, phone: 0, ip_user_agent: 0 },
      },
    };
    expect(body.windows['1h']?.events).toEqual(expected);
    expect(body.windows['24h']?.events).toEqual(expected);
    expect(res.json).toMatchObject({
      pixel_id: pixel,
      delivery: { state: 'degraded' },
      budget: { used: 5, limit: 60_000, window_seconds: 900, resets_at: expect.any(String) },
      last_error: {
        status: 400,
        code: 'INVALID_PARAMETER',
        message: 'conversion_id (s4) was rejected',
      },
    });
    expect(body.hourly).toHaveLength(24);
    expect(body.hourly.at(-1)).toMatchObject({ accepted: 5, sent: 3, dead_lettered: 1 });
    expect(res.text).not.toContain('192.0.2.7');

    const s1 = await operatorGet(edge, '/status/conversions/s1?event=purchase');
    expect(s1.json).toMatchObject({
      conversion_id: 's1',
      event: 'purchase',
      state: 'sent',
      attempts: expect.any(Number),
      debug_id: expect.any(String),
      error: null,
    });
    const unknown = await operatorGet(edge, '/status/conversions/never-seen');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({
      errors: [{ code: 'NOT_FOUND', parameter: 'conversion_id' }],
    });
    // Any id ingest accepts can be looked up, `+` included; one it refuses is a 400.
    expect((await operatorGet(edge, '/status/conversions/order+7')).status).toBe(404);
    const invalid = await operatorGet(edge, `/status/conversions/${'x'.repeat(65)}`);
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({
      errors: [{ parameter: 'conversion_id', message: expect.stringContaining('1-64') }],
    });
    const anonymous = await operatorGet(edge, '/status', false);
    expect(anonymous.status).toBe(401);
  }, 60_000);
});

describe('POST /events/verify', () => {
  const verify = (
    edge: ReturnType<typeof edgeFor>,
    json: unknown,
    headers: Record<string, string> = keyed,
  ) =>
    edge.call({
      path: '/events/verify',
      origin: null,
      contentType: 'application/json',
      headers,
      json,
    });

  it("sends one conversion at once and answers with X's status and body", async () => {
    quiet();
    const account = await fakeX.addAccount();
    const edge = edgeFor(account.pixelId);
    const ok = await verify(edge, {
      event: 'purchase',
      twclid: 'abc123',
      conversion_id: 'verify-1',
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      x_status: 200,
      x_body: { data: { conversions_processed: 1, debug_id: expect.any(String) } },
      conversion_id: 'verify-1',
    });
    expect(ids(await fakeX.received(account.pixelId))).toEqual(['verify-1']);

    await fakeX.setFaults(account.pixelId, { revoked: true });
    const refused = await verify(edge, {
      event: 'purchase',
      twclid: 'abc123',
      conversion_id: 'verify-2',
    });
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({
      x_status: 401,
      x_body: { errors: [{ message: 'Invalid or expired token' }] },
    });

    expect((await verify(edge, { event: 'purchase', twclid: 'x' }, {})).status).toBe(401);
    const batch = await verify(edge, { events: [{ event: 'purchase', twclid: 'x' }] });
    expect(batch.status).toBe(400);
  });

  it('answers 502 in X shape when X cannot be reached', async () => {
    quiet();
    const account = await fakeX.addAccount();
    const edge = edgeFor(account.pixelId, { X_API_BASE_URL: 'http://127.0.0.1:9' });
    const res = await verify(edge, { event: 'purchase', twclid: 'abc123' });
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ errors: [{ code: 'X_UNREACHABLE' }] });
  });
});

it('the status page is plain HTML from the edge, with no external asset', async () => {
  const edge = edgeFor('o9d7n');
  const res = await operatorGet(edge, '/status/', false);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/html');
  expect(res.text).toContain('sessionStorage');
  expect(res.text).not.toMatch(/(?:src|href)="https?:/);
});
