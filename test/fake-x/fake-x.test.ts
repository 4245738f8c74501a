/**
 * The fake X API rejects what X rejects and accepts what X accepts. Requests
 * are signed here by a separate, step-by-step RFC 5849 signer so the fake's
 * verifier is checked against an implementation it does not share code with.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeX, type Fault } from './fake-x.ts';
import { TEST_ACCOUNT } from './test-account.ts';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const NOW_S = NOW / 1000;

/** RFC 3986 encoding by hand: unreserved characters stay, the rest as %XX bytes. */
function rfc3986(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

interface SignOptions {
  url: string;
  consumerSecret?: string;
  nonce?: string;
  timestamp?: number;
  consumerKey?: string;
}

function oauthHeader({
  url,
  consumerSecret = TEST_ACCOUNT.consumerSecret,
  nonce = randomUUID(),
  timestamp = NOW_S,
  consumerKey = TEST_ACCOUNT.consumerKey,
}: SignOptions): string {
  const target = new URL(url);
  const oauth: Record<string, string> = {
    oauth_consumer_key: consumerKey,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(timestamp),
    oauth_token: TEST_ACCOUNT.accessToken,
    oauth_version: '1.0',
  };
  const pairs = [...Object.entries(oauth), ...target.searchParams.entries()]
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort();
  const base = `POST&${rfc3986(`${target.origin}${target.pathname}`)}&${rfc3986(pairs.join('&'))}`;
  const key = `${rfc3986(consumerSecret)}&${rfc3986(TEST_ACCOUNT.accessTokenSecret)}`;
  oauth.oauth_signature = createHmac('sha1', key).update(base).digest('base64');
  return `OAuth ${Object.entries(oauth)
    .map(([k, v]) => `${k}="${rfc3986(v)}"`)
    .join(', ')}`;
}

function conversion(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    conversion_time: '2026-11-28T11:59:00.123Z',
    event_id: 'o9d2g',
    identifiers: [{ twclid: '23opevjt88psuo13lu8d020qkn' }],
    conversion_id: 'order-1',
    ...overrides,
  };
}

const endpoint = (pixelId: string) => `http://fake-x.test/12/measurement/conversions/${pixelId}`;

describe('FakeX conversions endpoint', () => {
  let fake: FakeX;
  let pixelId: string;
  let clock: number;

  beforeEach(() => {
    clock = NOW;
    fake = new FakeX({ now: () => clock });
    pixelId = fake.addAccount({ accountId: 'acct1' }).pixelId;
  });

  function post(
    conversions: unknown[],
    init: {
      auth?: 'oauth1' | 'pixel-token' | 'none';
      sign?: Partial<SignOptions>;
      url?: string;
    } = {},
  ): Promise<Response> {
    const url = init.url ?? endpoint(pixelId);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if ((init.auth ?? 'oauth1') === 'oauth1')
      headers.authorization = oauthHeader({ url, ...init.sign });
    if (init.auth === 'pixel-token') headers['x-pixel-token'] = TEST_ACCOUNT.pixelToken;
    return fake.handle(
      new Request(url, { method: 'POST', headers, body: JSON.stringify({ conversions }) }),
    );
  }

  async function errorsOf(res: Response) {
    return ((await res.json()) as { errors: Array<Record<string, unknown>> }).errors;
  }

  it('accepts a correctly signed request and answers like X', async () => {
    const res = await post([conversion()]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      request: { params: { account_id: string } };
      data: { conversions_processed: number; debug_id: string };
    };
    expect(body.request.params.account_id).toBe('acct1');
    expect(body.data.conversions_processed).toBe(1);
    expect(body.data.debug_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-rate-limit-limit')).toBe('60000');
    expect(res.headers.get('x-rate-limit-remaining')).toBe('59999');
    expect(Number(res.headers.get('x-rate-limit-reset'))).toBe(NOW_S + 900);
    const received = fake.received(pixelId);
    expect(received.conversions).toEqual([conversion()]);
    expect(received.requests).toMatchObject([
      { status: 200, auth: 'oauth1', count: 1, outcome: 'accepted', debugId: body.data.debug_id },
    ]);
  });

  it('rejects a signature made with the wrong consumer secret', async () => {
    const res = await post([conversion()], { sign: { consumerSecret: 'wrong' } });
    expect(res.status).toBe(401);
    expect(await errorsOf(res)).toEqual([
      { code: 'INVALID_SIGNATURE', message: 'OAuth signature does not match the request' },
    ]);
    expect(fake.received(pixelId).conversions).toEqual([]);
  });

  it('rejects a query parameter added after signing (query is signed, JSON body is not)', async () => {
    const url = endpoint(pixelId);
    const headers = { 'content-type': 'application/json', authorization: oauthHeader({ url }) };
    const body = JSON.stringify({ conversions: [conversion()] });
    const tampered = await fake.handle(
      new Request(`${url}?debug=1`, { method: 'POST', headers, body }),
    );
    expect(tampered.status).toBe(401);
    const signedWithQuery = await post([conversion()], { url: `${url}?debug=1` });
    expect(signedWithQuery.status).toBe(200);
  });

  it('rejects a replayed nonce', async () => {
    expect((await post([conversion()], { sign: { nonce: 'same-nonce' } })).status).toBe(200);
    const replay = await post([conversion()], { sign: { nonce: 'same-nonce' } });
    expect(replay.status).toBe(401);
    expect((await errorsOf(replay))[0]?.message).toBe('oauth_nonce was already used');
  });

  it('rejects timestamps more than 300 s away and accepts 300 s exactly', async () => {
    expect((await post([conversion()], { sign: { timestamp: NOW_S - 301 } })).status).toBe(401);
    expect((await post([conversion()], { sign: { timestamp: NOW_S + 301 } })).status).toBe(401);
    expect((await post([conversion()], { sign: { timestamp: NOW_S - 300 } })).status).toBe(200);
  });

  it('rejects an unknown consumer key and a request without credentials', async () => {
    expect((await post([conversion()], { sign: { consumerKey: 'other' } })).status).toBe(401);
    const none = await post([conversion()], { auth: 'none' });
    expect(none.status).toBe(401);
    expect((await errorsOf(none))[0]?.code).toBe('UNAUTHORIZED');
    expect(fake.received(pixelId).requests.map((r) => r.auth)).toEqual(['oauth1', 'none']);
  });

  it('accepts the pixel token and rejects a wrong one', async () => {
    expect((await post([conversion()], { auth: 'pixel-token' })).status).toBe(200);
    const wrong = await fake.handle(
      new Request(endpoint(pixelId), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-pixel-token': 'nope' },
        body: JSON.stringify({ conversions: [conversion()] }),
      }),
    );
    expect(wrong.status).toBe(401);
  });

  it('answers 404 for an unknown pixel and an unknown route', async () => {
    const res = await post([conversion()], { url: endpoint('nopixel') });
    expect(res.status).toBe(404);
    expect((await errorsOf(res))[0]?.code).toBe('NOT_FOUND');
    const route = await fake.handle(new Request('http://fake-x.test/12/other', { method: 'POST' }));
    expect(route.status).toBe(404);
  });

  it('takes 500 conversions and rejects 501', async () => {
    expect((await post(Array.from({ length: 500 }, () => conversion()))).status).toBe(200);
    const res = await post(Array.from({ length: 501 }, () => conversion()));
    expect(res.status).toBe(400);
    expect(await errorsOf(res)).toEqual([
      {
        code: 'INVALID_PARAMETER',
        message: 'Conversion count limit is 500',
        parameter: 'conversions',
      },
    ]);
  });

  it('rejects a conversion_time without the Z, in X words', async () => {
    const res = await post([conversion({ conversion_time: '2022-06-16T01:14:00.603' })]);
    expect(res.status).toBe(400);
    expect(await errorsOf(res)).toEqual([
      {
        code: 'INVALID_PARAMETER',
        message:
          'Expected Time in yyyy-MM-ddTHH:mm:ss.SSSZ, got "2022-06-16T01:14:00.603" for conversion_time',
        parameter: 'conversion_time',
        conversion_index: 0,
      },
    ]);
    for (const time of ['2022-06-16T01:14:00Z', '2022-13-16T01:14:00.603Z', 1655341200603]) {
      expect((await post([conversion({ conversion_time: time })])).status).toBe(400);
    }
  });

  it('answers 404 for an event tag not in the account, and takes the tw-pixel-event form', async () => {
    const res = await post([conversion({ event_id: 'abc' })]);
    expect(res.status).toBe(404);
    expect(await errorsOf(res)).toEqual([
      {
        code: 'NOT_FOUND',
        message: 'event_id (abc) does not belong to provided account',
        parameter: 'event_id',
        conversion_index: 0,
      },
    ]);
    expect((await post([conversion({ event_id: `tw-${pixelId}-o9d2h` })])).status).toBe(200);
  });

  it('rejects a hashed_email or hashed_phone_number that is not 64 lowercase hex', async () => {
    const res = await post([conversion({ identifiers: [{ hashed_email: 'abc' }] })]);
    expect(res.status).toBe(400);
    expect((await errorsOf(res))[0]).toMatchObject({
      message: 'hashed_email (abc) is not a valid SHA-256 hash',
      parameter: 'hashed_email',
    });
    const upper = createHash('sha256').update('+11234567890').digest('hex').toUpperCase();
    expect(
      (await post([conversion({ identifiers: [{ hashed_phone_number: upper }] })])).status,
    ).toBe(400);
    const email = createHash('sha256').update('test@twitter.com').digest('hex');
    expect((await post([conversion({ identifiers: [{ hashed_email: email }] })])).status).toBe(200);
  });

  it('needs a user identifier: empty twclid, IP or user agent alone are not enough', async () => {
    const missing = {
      code: 'INVALID_PARAMETER',
      message: 'At least one user identifier must be provided',
      parameter: '',
      conversion_index: 0,
    };
    for (const identifiers of [
      [],
      [{ twclid: '' }],
      [{ ip_address: '203.0.113.9', user_agent: 'UA' }],
      [{ ip_address: '203.0.113.9' }],
      [{ user_agent: 'UA' }],
    ]) {
      const res = await post([conversion({ identifiers })]);
      expect(res.status).toBe(400);
      expect(await errorsOf(res)).toEqual([missing]);
    }
    // X: "If using IP address or user agent, a second identifier must be sent": either
    // may come without the other beside one.
    const ipBeside = await post([
      conversion({ identifiers: [{ twclid: 'x' }, { ip_address: '203.0.113.9' }] }),
    ]);
    expect(ipBeside.status).toBe(200);
    const agentBeside = await post([
      conversion({ identifiers: [{ twclid: 'x' }, { user_agent: 'UA' }] }),
    ]);
    expect(agentBeside.status).toBe(200);
    const emptyIp = await post([
      conversion({ identifiers: [{ twclid: 'x' }, { ip_address: '' }] }),
    ]);
    expect(emptyIp.status).toBe(400);
    const together = [{ ip_address: '203.0.113.9', user_agent: 'UA' }, { twclid: 'abc' }];
    expect((await post([conversion({ identifiers: together })])).status).toBe(200);
    const twoInOne = [{ twclid: 'abc', hashed_email: 'a'.repeat(64) }];
    expect((await post([conversion({ identifiers: twoInOne })])).status).toBe(400);
  });

  it('checks value, currency, number_items and contents types', async () => {
    expect(
      (await post([conversion({ value: '20.00', price_currency: 'USD', number_items: 3 })])).status,
    ).toBe(200);
    for (const bad of [
      { value: 20 },
      { value: '20,00' },
      { price_currency: 'usd' },
      { number_items: 0 },
      { number_items: '3' },
      { contents: [{ content_price: '1' }] },
      { contents: [{ num_items: 1.5 }] },
    ]) {
      expect((await post([conversion(bad)])).status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('is all-or-nothing and says which conversion failed', async () => {
    const batch = [conversion(), conversion(), conversion({ identifiers: [] }), conversion()];
    const res = await post(batch);
    expect(res.status).toBe(400);
    expect((await errorsOf(res)).map((e) => e.conversion_index)).toEqual([2]);
    expect(fake.received(pixelId).conversions).toEqual([]);
    expect(fake.received(pixelId).requests[0]).toMatchObject({
      status: 400,
      count: 4,
      outcome: 'invalid',
    });
  });

  it('needs Content-Type application/json and a JSON body', async () => {
    const res = await fake.handle(
      new Request(endpoint(pixelId), {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-pixel-token': TEST_ACCOUNT.pixelToken },
        body: JSON.stringify({ conversions: [conversion()] }),
      }),
    );
    expect(res.status).toBe(400);
  });

  it('keeps each pixel traffic apart', async () => {
    const other = fake.addAccount().pixelId;
    await post([conversion()]);
    expect(fake.received(other)).toEqual({ requests: [], conversions: [] });
    expect(fake.received(pixelId).conversions).toHaveLength(1);
    fake.resetPixel(pixelId);
    expect(fake.received(pixelId).conversions).toHaveLength(0);
  });
});

describe('FakeX faults and quota', () => {
  let fake: FakeX;
  let pixelId: string;
  let clock: number;

  beforeEach(() => {
    clock = NOW;
    fake = new FakeX({ now: () => clock });
    pixelId = fake.addAccount().pixelId;
  });

  function post(count = 1): Promise<Response> {
    return fake.handle(
      new Request(endpoint(pixelId), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-pixel-token': TEST_ACCOUNT.pixelToken },
        body: JSON.stringify({ conversions: Array.from({ length: count }, () => conversion()) }),
      }),
    );
  }

  it('answers the next faults in order, then normally', async () => {
    fake.setFaults(pixelId, {
      next: [
        { kind: 'status', status: 503, times: 2 },
        { kind: 'status', status: 429, resetAfterSeconds: 30 },
        { kind: 'non-json', status: 502 },
      ],
    });
    const statuses: number[] = [];
    let rateLimited: Response | undefined;
    let html = '';
    for (let i = 0; i < 5; i++) {
      const res = await post();
      statuses.push(res.status);
      if (res.status === 429) rateLimited = res;
      if (res.status === 502) html = await res.text();
    }
    expect(statuses).toEqual([503, 503, 429, 502, 200]);
    expect(rateLimited?.headers.get('x-rate-limit-reset')).toBe(String(NOW_S + 30));
    expect(() => JSON.parse(html)).toThrow();
    const received = fake.received(pixelId);
    expect(received.conversions).toHaveLength(1);
    expect(received.requests.map((r) => r.fault ?? 'none')).toEqual([
      'status',
      'status',
      'status',
      'non-json',
      'none',
    ]);
  });

  it('can accept first and still fail the answer (a lost response)', async () => {
    fake.setFaults(pixelId, { next: [{ kind: 'status', status: 500, acceptFirst: true }] });
    expect((await post()).status).toBe(500);
    expect((await post()).status).toBe(200);
    expect(fake.received(pixelId).conversions).toHaveLength(2);
  });

  it('draws random faults from a seed, reproducibly', async () => {
    const plan = {
      random: {
        seed: 42,
        faults: [
          { rate: 0.3, fault: { kind: 'status', status: 503 } as Fault },
          { rate: 0.05, fault: { kind: 'status', status: 429 } as Fault },
        ],
      },
    };
    const run = async () => {
      fake.resetPixel(pixelId);
      fake.setFaults(pixelId, plan);
      const statuses: number[] = [];
      for (let i = 0; i < 400; i++) statuses.push((await post()).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    const share = (status: number) => first.filter((s) => s === status).length / first.length;
    expect(share(503)).toBeGreaterThan(0.2);
    expect(share(503)).toBeLessThan(0.4);
    expect(share(429)).toBeGreaterThan(0);
    expect(share(429)).toBeLessThan(0.12);
    expect(fake.received(pixelId).conversions).toHaveLength(first.filter((s) => s === 200).length);
  });

  it('answers 429 TOO_MANY_REQUESTS past the account quota until the window ends', async () => {
    fake.setRateLimit(pixelId, { events: 3, windowSeconds: 60 });
    expect((await post(2)).status).toBe(200);
    const over = await post(2);
    expect(over.status).toBe(429);
    expect(((await over.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe(
      'TOO_MANY_REQUESTS',
    );
    expect(over.headers.get('x-rate-limit-remaining')).toBe('1');
    expect(over.headers.get('x-rate-limit-reset')).toBe(String(NOW_S + 60));
    expect((await post(1)).status).toBe(200);
    clock += 60_000;
    expect((await post(2)).status).toBe(200);
    expect(fake.received(pixelId).conversions).toHaveLength(5);
  });

  it('shares one quota among the pixels of an ad account, refuses another pixel tag and its own token', async () => {
    const shop = fake.addAccount({ accountId: 'agency1', events: { purchase: 'aaa11' } });
    const brand = fake.addAccount({
      accountId: 'agency1',
      events: { purchase: 'bbb22' },
      pixelToken: 'brand-pixel-token',
    });
    const elsewhere = fake.addAccount({ accountId: 'other2', events: { purchase: 'ccc33' } });
    fake.setRateLimit(shop.pixelId, { events: 3, windowSeconds: 60 });
    const send = (
      pixel: string,
      tag: string,
      count: number,
      token: string = TEST_ACCOUNT.pixelToken,
    ) =>
      fake.handle(
        new Request(endpoint(pixel), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-pixel-token': token },
          body: JSON.stringify({
            conversions: Array.from({ length: count }, () => conversion({ event_id: tag })),
          }),
        }),
      );
    expect((await send(shop.pixelId, 'aaa11', 2)).status).toBe(200);
    // The brand's own pixel token, not the shared one.
    expect((await send(brand.pixelId, 'bbb22', 1)).status).toBe(401);
    expect((await send(brand.pixelId, 'bbb22', 1, 'brand-pixel-token')).status).toBe(200);
    // The account's 3 events are spent by its two pixels together; another account is untouched.
    expect((await send(shop.pixelId, 'aaa11', 1)).status).toBe(429);
    expect((await send(elsewhere.pixelId, 'ccc33', 2)).status).toBe(200);
    // A tag of the shop's pixel sent to the brand's: X's 404.
    const wrongTag = await send(brand.pixelId, 'aaa11', 1, 'brand-pixel-token');
    expect(wrongTag.status).toBe(404);
    expect(JSON.stringify(await wrongTag.json())).toContain('does not belong to provided account');
  });

  it('stands in an outage (always) until the plan changes', async () => {
    fake.setFaults(pixelId, { always: { kind: 'status', status: 503 } });
    const statuses = [(await post()).status, (await post()).status, (await post()).status];
    fake.setFaults(pixelId, {});
    statuses.push((await post()).status);
    expect(statuses).toEqual([503, 503, 503, 200]);
    expect(fake.received(pixelId).conversions).toHaveLength(1);
  });

  it('refuses every request with a revoked token as X does (401), until restored', async () => {
    fake.setFaults(pixelId, { revoked: true });
    const refused = await post();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      errors: [{ code: 'UNAUTHORIZED', message: 'Invalid or expired token' }],
    });
    fake.setFaults(pixelId, {});
    expect((await post()).status).toBe(200);
  });

  it('answers 404 for an event tag made unknown, naming it as X does', async () => {
    fake.setFaults(pixelId, { unknownEventIds: ['o9d2g'] });
    const res = await post();
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      errors: [
        {
          code: 'NOT_FOUND',
          message: 'event_id (o9d2g) does not belong to provided account',
          parameter: 'event_id',
        },
      ],
    });
  });

  it('rejects chosen conversions with 400, failing the whole request', async () => {
    fake.setFaults(pixelId, { rejectConversionIds: ['order-2'] });
    const body = JSON.stringify({
      conversions: [conversion(), conversion({ conversion_id: 'order-2' })],
    });
    const res = await fake.handle(
      new Request(endpoint(pixelId), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-pixel-token': TEST_ACCOUNT.pixelToken },
        body,
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      errors: [{ message: 'conversion_id (order-2) was rejected', conversion_index: 1 }],
    });
    expect(fake.received(pixelId).conversions).toEqual([]);
    expect((await post()).status).toBe(200);
  });

  it('rejects a malformed fault plan', () => {
    expect(() => fake.setFaults(pixelId, { next: [{ kind: 'status', status: 42 }] })).toThrow();
    expect(() =>
      fake.setFaults(pixelId, {
        random: {
          seed: 1,
          faults: [
            { rate: 0.8, fault: { kind: 'hang' } },
            { rate: 0.8, fault: { kind: 'hang' } },
          ],
        },
      }),
    ).toThrow();
    expect(() =>
      fake.setFaults(pixelId, { rejectConversionIds: 'order-1' as unknown as string[] }),
    ).toThrow();
  });
});
