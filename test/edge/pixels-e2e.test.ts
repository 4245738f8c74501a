/**
 * One edge for three pixels across two ad accounts (`X_PIXELS`), end to end
 * under workerd: the real app and consumer, the pixels' real Durable Objects
 * and the fake X, which knows each pixel's account, tags and credentials.
 * Pixel B has its own `X_PIXEL_TOKEN_<ID>` and `SERVER_KEY_<ID>`; A and C use
 * the shared OAuth secrets; B and C share an ad account (and so split its budget).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import type { FakeAccount } from '../fake-x/control.ts';
import { consume, fakeX, quiet, TWCLID } from './delivery-rig.ts';
import { createEdge, type Edge, isXErrorBody, SERVER_KEY } from './hostile-harness.ts';
import { shopifyHeaders, shopifyOrderBody, WEBHOOK_SECRETS } from './webhook-signing.ts';

const id = (prefix: string) => `${prefix}${randomUUID().replace(/-/g, '').slice(0, 9)}`;
const ORIGIN = {
  a: 'https://shop-a.example',
  b: 'https://shop-b.example',
  c: 'https://shop-c.example',
};
const B_TOKEN = `b-pixel-token-${randomUUID()}`;
const B_KEY = `b-server-key-${randomUUID()}`;

let a: FakeAccount;
let b: FakeAccount;
let c: FakeAccount;
let edge: Edge;

/** Tags unique to one pixel: X gives each Single Event Tag to one pixel. */
function tagsFor(pixel: string) {
  return { purchase: `${pixel.slice(0, 8)}t1`, lead: `${pixel.slice(0, 8)}t2` };
}

async function pixelAccount(accountId: string, more: Partial<FakeAccount> = {}) {
  const pixelId = id('p');
  return fakeX.addAccount({ pixelId, accountId, events: tagsFor(pixelId), ...more });
}

const server = (key: string = SERVER_KEY) => ({ authorization: `Bearer ${key}` });

function beacon(origin: string, conversionId: string) {
  return edge.call({
    origin,
    json: { event: 'purchase', conversion_id: conversionId, ...TWCLID },
  });
}

function serverEvent(json: Record<string, unknown>, key: string = SERVER_KEY) {
  return edge.call({
    origin: null,
    contentType: 'application/json',
    headers: server(key),
    json: { event: 'lead', ...TWCLID, ...json },
  });
}

function get(path: string, key: string = SERVER_KEY) {
  return edge.call({ method: 'GET', path, origin: null, headers: server(key) });
}

/** Delivers what the edge queued since `from`, through the real consumer. */
async function deliver(from: number): Promise<DeliveryMessage[]> {
  const messages = edge.recorder.messages.slice(from);
  await consume(messages, edge.env);
  return messages;
}

beforeAll(async () => {
  quiet();
  const accountA = id('a');
  const accountB = id('b');
  a = await pixelAccount(accountA);
  b = await pixelAccount(accountB, { pixelToken: B_TOKEN });
  c = await pixelAccount(accountB);
  const upper = b.pixelId.toUpperCase();
  edge = createEdge({
    X_PIXEL_ID: '',
    X_EVENTS: '',
    ALLOWED_ORIGINS: '',
    X_PIXELS: JSON.stringify([
      { id: a.pixelId, events: a.events, origins: [ORIGIN.a] },
      { id: b.pixelId, events: b.events, origins: [ORIGIN.b], account: accountB },
      { id: c.pixelId, events: c.events, origins: [ORIGIN.c], account: accountB },
    ]),
    [`X_PIXEL_TOKEN_${upper}`]: B_TOKEN,
    [`SERVER_KEY_${upper}`]: B_KEY,
    ...WEBHOOK_SECRETS,
  } as never);
});

describe('three pixels, two ad accounts', () => {
  it('sends each origin beacons to its own pixel under its own tags', async () => {
    const from = edge.recorder.messages.length;
    const ids = { a: id('ba-'), b: id('bb-'), c: id('bc-') };
    for (const key of ['a', 'b', 'c'] as const) {
      const res = await beacon(ORIGIN[key], ids[key]);
      expect(res.status, key).toBe(202);
    }
    expect((await beacon('https://elsewhere.example', id('bx-'))).status).toBe(403);
    const queued = await deliver(from);
    expect(queued.map((m) => [m.pixelId, m.conversion.event_id])).toEqual([
      [a.pixelId, a.events.purchase],
      [b.pixelId, b.events.purchase],
      [c.pixelId, c.events.purchase],
    ]);
    for (const [account, conversionId, auth] of [
      [a, ids.a, 'oauth1'],
      [b, ids.b, 'pixel-token'],
      [c, ids.c, 'oauth1'],
    ] as const) {
      const received = await fakeX.received(account.pixelId);
      expect(received.conversions.filter((x) => x.conversion_id === conversionId)).toMatchObject([
        { event_id: account.events.purchase },
      ]);
      expect(received.requests.at(-1)).toMatchObject({ status: 200, auth });
    }
  });

  it('sends server calls to the pixel they name, which SERVER_KEY must name among several', async () => {
    const from = edge.recorder.messages.length;
    const toB = id('sb-');
    const toC = id('sc-');
    expect((await serverEvent({ pixel: b.pixelId, conversion_id: toB })).status).toBe(202);
    expect((await serverEvent({ pixel: c.pixelId, conversion_id: toC })).status).toBe(202);
    const missing = await serverEvent({ conversion_id: id('s-') });
    const unknown = await serverEvent({ pixel: 'zzz999', conversion_id: id('s-') });
    for (const res of [missing, unknown]) {
      expect(res.status).toBe(400);
      expect(isXErrorBody(res.json)).toBe(true);
      expect(res.json).toMatchObject({
        errors: [{ code: 'INVALID_PARAMETER', parameter: 'pixel' }],
      });
    }
    // Nothing of the refused calls was queued.
    expect(edge.recorder.messages.length - from).toBe(2);
    await deliver(from);
    expect((await fakeX.received(b.pixelId)).conversions).toContainEqual(
      expect.objectContaining({ conversion_id: toB, event_id: b.events.lead }),
    );
    expect((await fakeX.received(c.pixelId)).conversions).toContainEqual(
      expect.objectContaining({ conversion_id: toC, event_id: c.events.lead }),
    );
    expect((await fakeX.received(a.pixelId)).conversions.map((x) => x.conversion_id)).not.toContain(
      toB,
    );
  });

  it('lets a pixel key send to and read its own pixel only', async () => {
    const own = await serverEvent({ conversion_id: id('kb-') }, B_KEY);
    expect(own.status).toBe(202);
    expect(edge.recorder.messages.at(-1)?.pixelId).toBe(b.pixelId);
    const across = [
      await serverEvent({ pixel: a.pixelId, conversion_id: id('ka-') }, B_KEY),
      await get(`/status?pixel=${a.pixelId}`, B_KEY),
      await get(`/dead-letters?pixel=${a.pixelId}`, B_KEY),
      await get(`/status/conversions/x1?pixel=${a.pixelId}`, B_KEY),
      await edge.call({
        path: `/dead-letters/redrive?pixel=${c.pixelId}`,
        origin: null,
        contentType: 'application/json',
        headers: server(B_KEY),
        json: {},
      }),
    ];
    for (const res of across) {
      expect(res.status).toBe(403);
      expect(isXErrorBody(res.json)).toBe(true);
      expect(res.json).toMatchObject({ errors: [{ code: 'FORBIDDEN', parameter: 'pixel' }] });
    }
    // Its /status and /health show its pixel alone.
    const status = await get('/status', B_KEY);
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ pixel_id: b.pixelId });
    const health = (await get('/health', B_KEY)).json;
    expect(health).toMatchObject({ pixel_id: b.pixelId, events: b.events, auth: 'pixel-token' });
    expect((await get(`/health?pixel=${a.pixelId}`, B_KEY)).status).toBe(403);
    expect((await get(`/health?pixel=${c.pixelId}`)).json).toMatchObject({
      pixel_id: c.pixelId,
      events: c.events,
    });
    expect(JSON.stringify(health)).not.toContain(B_TOKEN);
    // A wrong key is still a 401, not a pixel.
    expect((await get('/status', `${B_KEY}x`)).status).toBe(401);
  });

  it('shows every pixel to SERVER_KEY, B and C splitting one account budget', async () => {
    const status = (await get('/status')).json as {
      pixels: { pixel_id: string; budget: { account?: string; used: number; limit: number } }[];
    };
    expect(status.pixels.map((p) => p.pixel_id)).toEqual([a.pixelId, b.pixelId, c.pixelId]);
    const [budgetA, budgetB, budgetC] = status.pixels.map((p) => p.budget);
    expect(budgetA?.account).toBeUndefined();
    expect(budgetB?.account).toBe(b.accountId);
    expect(budgetC?.account).toBe(b.accountId);
    // X limits per account: the two pixels of one account each pace half of it.
    expect(budgetB?.limit).toBe(Math.floor((budgetA?.limit ?? 0) / 2));
    expect(budgetC?.limit).toBe(budgetB?.limit);
    // B's beacon, server call and own-key call plus C's beacon and server call.
    expect((budgetB?.used ?? 0) + (budgetC?.used ?? 0)).toBeGreaterThanOrEqual(4);
    expect(budgetA?.used).toBe(1);
  });

  it('takes a shop webhook for the pixel its URL names (?pixel=), and none without one', async () => {
    const body = shopifyOrderBody();
    const webhook = (path: string, headers = shopifyHeaders(body)) =>
      edge.call({ path, origin: null, headers, body });
    const from = edge.recorder.messages.length;
    expect((await webhook(`/webhooks/shopify?pixel=${c.pixelId}`)).status).toBe(202);
    expect(
      edge.recorder.messages.slice(from).map((m) => [m.pixelId, m.conversion.event_id, m.via]),
    ).toEqual([[c.pixelId, c.events.purchase, 'shopify']]);
    const unnamed = await webhook('/webhooks/shopify');
    expect(unnamed.status).toBe(400);
    expect(unnamed.json).toMatchObject({ errors: [{ parameter: 'pixel' }] });
    // The signature is checked first: a forger learns nothing about the pixels.
    const forged = await webhook(
      '/webhooks/shopify',
      shopifyHeaders(body, 'orders/paid', 'not-the-shop-secret-0123456789ab'),
    );
    expect(forged.status).toBe(401);
    expect(edge.recorder.messages.length - from).toBe(1);
  });

  it('mirrors to the pixel of the page that loads the script', async () => {
    const script = await edge.call({
      method: 'GET',
      path: '/xcapi.js',
      origin: null,
      headers: { referer: `${ORIGIN.b}/checkout` },
    });
    expect(script.status).toBe(200);
    expect(script.text).toContain(`tw-${b.pixelId}-${b.events.purchase}`);
    expect(script.text).not.toContain(a.pixelId);
    expect(script.headers.get('vary')).toContain('Referer');
  });

  it('sends a waiting conversion with its own pixel tag, not another pixel', async () => {
    const stale = id('st-');
    // Queued with C's tag under pixel A (as after a corrected configuration): A's tag goes.
    const message: DeliveryMessage = {
      pixelId: a.pixelId,
      event: 'purchase',
      source: 'server',
      acceptedAt: Date.now(),
      conversion: {
        conversion_time: new Date().toISOString(),
        event_id: c.events.purchase ?? '',
        identifiers: [TWCLID],
        conversion_id: stale,
      },
    };
    await consume([message], edge.env);
    expect((await fakeX.received(a.pixelId)).conversions).toContainEqual(
      expect.objectContaining({ conversion_id: stale, event_id: a.events.purchase }),
    );
  });

  it('pauses only the pixel whose token X refuses; /health and /status say which', async () => {
    await fakeX.setFaults(b.pixelId, { revoked: true });
    const from = edge.recorder.messages.length;
    const toA = id('ra-');
    const toB = id('rb-');
    expect((await serverEvent({ pixel: a.pixelId, conversion_id: toA })).status).toBe(202);
    expect((await serverEvent({ pixel: b.pixelId, conversion_id: toB })).status).toBe(202);
    await deliver(from);
    expect((await fakeX.received(a.pixelId)).conversions.map((x) => x.conversion_id)).toContain(
      toA,
    );
    const atB = await fakeX.received(b.pixelId);
    expect(atB.conversions.map((x) => x.conversion_id)).not.toContain(toB);
    expect(atB.requests.at(-1)).toMatchObject({ status: 401 });

    const health = await get('/health');
    expect(health.status).toBe(503);
    const body = health.json as {
      delivery: { state: string; reason: string };
      pixels: { pixel_id: string; auth: string; delivery: { state: string } }[];
    };
    expect(body.delivery.state).toBe('blocked');
    expect(body.delivery.reason).toContain(`pixel ${b.pixelId}: X answers 401`);
    expect(body.pixels.map((p) => [p.pixel_id, p.auth, p.delivery.state])).toEqual([
      [a.pixelId, 'oauth1', 'ok'],
      [b.pixelId, 'pixel-token', 'blocked'],
      [c.pixelId, 'oauth1', 'ok'],
    ]);
    const anonymous = await edge.call({ method: 'GET', path: '/health', origin: null });
    expect(anonymous.json).toMatchObject({
      ok: false,
      pixels: [
        { pixel_id: a.pixelId, delivery: { state: 'ok' } },
        { pixel_id: b.pixelId, delivery: { state: 'blocked' } },
        { pixel_id: c.pixelId, delivery: { state: 'ok' } },
      ],
    });
    const status = (await get('/status')).json as {
      pixels: { pixel_id: string; delivery: { state: string } }[];
    };
    expect(status.pixels.map((p) => p.delivery.state)).toEqual(['ok', 'blocked', 'ok']);

    // The others keep delivering while B is paused.
    const laterC = id('rc-');
    const next = edge.recorder.messages.length;
    expect((await beacon(ORIGIN.c, laterC)).status).toBe(202);
    await deliver(next);
    expect((await fakeX.received(c.pixelId)).conversions.map((x) => x.conversion_id)).toContain(
      laterC,
    );
    await fakeX.setFaults(b.pixelId, {});
  });
});

describe('a multi-pixel configuration problem', () => {
  it('is on /health: X_PIXELS with X_PIXEL_ID set, and an origin under two pixels', async () => {
    const broken = createEdge({
      X_PIXEL_ID: 'o9d7n',
      X_PIXELS: JSON.stringify([
        { id: 'pa1b2c', events: { purchase: 'pa1t1' }, origins: ['https://one.example'] },
        { id: 'pd3e4f', events: { purchase: 'pd3t1' }, origins: ['https://one.example'] },
      ]),
    });
    const res = await broken.call({ method: 'GET', path: '/health', origin: null, server: true });
    expect(res.status).toBe(503);
    const { problems } = res.json as { problems: string[] };
    expect(problems.join('\n')).toContain('X_PIXELS is set, so X_PIXEL_ID');
    expect(problems.join('\n')).toContain(
      'origin https://one.example is listed under pixels pa1b2c and pd3e4f',
    );
  });
});
