/**
 * sendConversions inside workerd against the fake X API over real HTTP. The
 * fake verifies OAuth signatures with its own RFC 5849 code, so "accepted"
 * here means the signature is right, not merely self-consistent. Every test
 * uses its own pixel, so files running in parallel never share traffic.
 */
import { beforeEach, describe, expect, inject, it, vi } from 'vitest';
import type { EdgeConfig, XCredentials } from '../../edge/config.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { retryAfterSeconds, sendConversions } from '../../edge/x-api/x-client.ts';
import { type FakeAccount, fakeXControl } from '../fake-x/control.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';

const fakeX = fakeXControl(inject('fakeXUrl'));

const OAUTH: XCredentials = {
  kind: 'oauth1',
  consumerKey: TEST_ACCOUNT.consumerKey,
  consumerSecret: TEST_ACCOUNT.consumerSecret,
  accessToken: TEST_ACCOUNT.accessToken,
  accessTokenSecret: TEST_ACCOUNT.accessTokenSecret,
};

function configFor(account: FakeAccount, credentials: XCredentials = OAUTH): EdgeConfig {
  return {
    pixels: [
      {
        id: account.pixelId,
        events: account.events,
        origins: ['https://shop.example'],
        credentials,
      },
    ],
    pixelId: account.pixelId,
    events: account.events,
    allowedOrigins: ['https://shop.example'],
    apiBaseUrl: fakeX.baseUrl,
    apiVersion: '12',
    basePath: '',
    cookieDays: 30,
    phoneDefaultCountry: 'US',
    credentials,
    serverKey: undefined,
    retry: { baseSeconds: 0, maxSeconds: 900 },
    rateLimit: { events: 60_000, windowSeconds: 900 },
    demo: false,
    demoPublic: false,
    serverBudgetPercent: 50,
    browserHoldSeconds: 0,
    dedupMaxRows: 1000,
    healthCacheSeconds: 0,
    maxConversionAgeDays: 90,
    siteCapture: false,
    injectScript: false,
    webhooks: {},
  };
}

function purchase(overrides: Partial<XConversion> = {}): XConversion {
  return {
    conversion_time: new Date().toISOString(),
    event_id: 'o9d2g',
    identifiers: [
      { twclid: '23opevjt88psuo13lu8d020qkn' },
      // sha256("test@twitter.com"), X's docs example.
      { hashed_email: 'd360d510a224510f373931ce2d6215a799f5a9c1cef221b0149b6b6b50cced62' },
    ],
    conversion_id: 'order-1001',
    value: '20.00',
    price_currency: 'USD',
    number_items: 2,
    ...overrides,
  };
}

describe('sendConversions', () => {
  let account: FakeAccount;

  beforeEach(async () => {
    account = await fakeX.addAccount();
  });

  it('delivers an OAuth-signed request the fake verifies independently', async () => {
    const conversions = [purchase(), purchase({ conversion_id: 'order-1002' })];
    const outcome = await sendConversions(configFor(account), conversions);
    const received = await fakeX.received(account.pixelId);
    expect(received.requests).toHaveLength(1);
    expect(outcome).toEqual({
      kind: 'delivered',
      status: 200,
      processed: 2,
      debugId: received.requests[0]?.debugId,
    });
    expect(received.requests[0]).toMatchObject({ auth: 'oauth1', status: 200, count: 2 });
    expect(received.conversions).toEqual(conversions);
  });

  it('sends to options.pixelId instead of the configured pixel', async () => {
    const other = await fakeX.addAccount();
    const outcome = await sendConversions(configFor(account), [purchase()], {
      pixelId: other.pixelId,
    });
    expect(outcome.kind).toBe('delivered');
    expect((await fakeX.received(other.pixelId)).conversions).toHaveLength(1);
    expect((await fakeX.received(account.pixelId)).requests).toHaveLength(0);
  });

  it('reports a wrong consumer secret as misconfigured 401', async () => {
    const outcome = await sendConversions(
      configFor(account, { ...OAUTH, consumerSecret: 'not-the-secret' }),
      [purchase()],
    );
    expect(outcome).toEqual({
      kind: 'misconfigured',
      status: 401,
      errors: [
        { code: 'INVALID_SIGNATURE', message: 'OAuth signature does not match the request' },
      ],
    });
    expect((await fakeX.received(account.pixelId)).conversions).toEqual([]);
  });

  it('authenticates with the pixel token', async () => {
    const outcome = await sendConversions(
      configFor(account, { kind: 'pixel-token', token: TEST_ACCOUNT.pixelToken }),
      [purchase()],
    );
    expect(outcome).toMatchObject({ kind: 'delivered', status: 200, processed: 1 });
    expect((await fakeX.received(account.pixelId)).requests[0]?.auth).toBe('pixel-token');
  });

  it('calls a 503 retryable', async () => {
    await fakeX.setFaults(account.pixelId, { next: [{ kind: 'status', status: 503 }] });
    const outcome = await sendConversions(configFor(account), [purchase()]);
    expect(outcome).toEqual({ kind: 'retryable', status: 503, reason: 'X answered 503' });
  });

  it('calls a non-JSON 502 retryable without throwing', async () => {
    await fakeX.setFaults(account.pixelId, { next: [{ kind: 'non-json', status: 502 }] });
    const outcome = await sendConversions(configFor(account), [purchase()]);
    expect(outcome).toEqual({
      kind: 'retryable',
      status: 502,
      reason: 'X answered 502 without a JSON body',
    });
  });

  it('calls a non-JSON 200 retryable (not proof of delivery)', async () => {
    await fakeX.setFaults(account.pixelId, { next: [{ kind: 'non-json', status: 200 }] });
    const outcome = await sendConversions(configFor(account), [purchase()]);
    expect(outcome).toMatchObject({ kind: 'retryable', status: 200 });
  });

  it('turns a 429 into rate-limited with the wait from x-rate-limit-reset', async () => {
    await fakeX.setFaults(account.pixelId, {
      next: [{ kind: 'status', status: 429, resetAfterSeconds: 120 }],
    });
    const outcome = await sendConversions(configFor(account), [purchase()]);
    expect(outcome).toMatchObject({ kind: 'rate-limited', status: 429 });
    const wait = outcome.kind === 'rate-limited' ? outcome.retryAfterSeconds : 0;
    // The fake's reset is now + 120 s; a second may pass between the two clocks.
    expect(wait).toBeGreaterThanOrEqual(119);
    expect(wait).toBeLessThanOrEqual(121);
  });

  it('turns the account quota into rate-limited', async () => {
    await fakeX.setRateLimit(account.pixelId, { events: 1, windowSeconds: 900 });
    const outcome = await sendConversions(configFor(account), [purchase(), purchase()]);
    expect(outcome.kind).toBe('rate-limited');
  });

  it("returns X's errors for a rejected request as invalid", async () => {
    const outcome = await sendConversions(configFor(account), [
      purchase(),
      purchase({ identifiers: [{ hashed_email: 'abc' }] }),
    ]);
    expect(outcome).toEqual({
      kind: 'invalid',
      status: 400,
      errors: [
        {
          code: 'INVALID_PARAMETER',
          message: 'hashed_email (abc) is not a valid SHA-256 hash',
          parameter: 'hashed_email',
        },
      ],
    });
    expect((await fakeX.received(account.pixelId)).conversions).toEqual([]);
  });

  it('reports an event tag outside the account as misconfigured 404', async () => {
    const outcome = await sendConversions(configFor(account), [purchase({ event_id: 'zzzzz' })]);
    expect(outcome).toMatchObject({
      kind: 'misconfigured',
      status: 404,
      errors: [{ code: 'NOT_FOUND', parameter: 'event_id' }],
    });
  });

  it('gives up after timeoutMs when X hangs', async () => {
    await fakeX.setFaults(account.pixelId, { next: [{ kind: 'hang' }] });
    const outcome = await sendConversions(configFor(account), [purchase()], { timeoutMs: 300 });
    expect(outcome).toEqual({ kind: 'retryable', reason: 'timeout after 300 ms' });
  });

  it('calls a network failure retryable', async () => {
    const failing = vi.fn<typeof fetch>().mockRejectedValue(new TypeError('connection refused'));
    const outcome = await sendConversions(configFor(account), [purchase()], { fetch: failing });
    expect(outcome).toEqual({ kind: 'retryable', reason: 'network error (TypeError)' });
    expect(failing).toHaveBeenCalledOnce();
  });

  it('in dry run logs the request without secrets and does not fetch', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const neverFetch = vi.fn<typeof fetch>();
    const conversions = [
      purchase({
        identifiers: [{ twclid: 'abc' }, { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0' }],
      }),
    ];
    try {
      const outcome = await sendConversions(configFor(account, { kind: 'none' }), conversions, {
        fetch: neverFetch,
      });
      const url = `${fakeX.baseUrl}/12/measurement/conversions/${account.pixelId}`;
      expect(outcome).toEqual({
        kind: 'dry-run',
        request: {
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json' },
          body: { conversions },
        },
      });
      expect(neverFetch).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledOnce();
      const line = String(log.mock.calls[0]?.[0]);
      const logged = JSON.parse(line);
      expect(logged.msg).toBe('dry run: would send');
      // The logger masks every IP address, the fake X's loopback host included.
      expect(logged.request.url).toBe(url.replace('127.0.0.1', '[ip]'));
      expect(logged.request.body.conversions[0].identifiers[1].ip_address).toBe('[ip]');
      expect(line).not.toContain('203.0.113.7');
      expect(line).not.toContain(TEST_ACCOUNT.consumerSecret);
    } finally {
      log.mockRestore();
    }
    expect((await fakeX.received(account.pixelId)).requests).toHaveLength(0);
  });

  it('never logs credentials when sending for real', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await sendConversions(configFor(account), [purchase()]);
      await sendConversions(configFor(account, { ...OAUTH, consumerSecret: 'x' }), [purchase()]);
      const lines = [...log.mock.calls, ...warn.mock.calls].map((c) => String(c[0]));
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[0] ?? '')).toMatchObject({ msg: 'x delivered', count: 1 });
      for (const line of lines) {
        for (const secret of Object.values(OAUTH)) {
          if (secret !== 'oauth1') expect(line).not.toContain(secret);
        }
        expect(line).not.toContain('oauth_signature');
      }
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
  });
});

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  it('prefers x-rate-limit-reset (epoch seconds), then Retry-After, else 60', () => {
    expect(
      retryAfterSeconds(new Headers({ 'x-rate-limit-reset': String(now / 1000 + 90) }), now),
    ).toBe(90);
    expect(retryAfterSeconds(new Headers({ 'retry-after': '30' }), now)).toBe(30);
    expect(
      retryAfterSeconds(new Headers({ 'retry-after': 'Sat, 28 Nov 2026 12:02:00 GMT' }), now),
    ).toBe(120);
    expect(retryAfterSeconds(new Headers(), now)).toBe(60);
    expect(
      retryAfterSeconds(new Headers({ 'x-rate-limit-reset': String(now / 1000 - 5) }), now),
    ).toBe(1);
  });
});
