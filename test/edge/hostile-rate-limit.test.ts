/**
 * Browser rate limiting (edge/http/browser-rate-limit.ts) against the real
 * Workers Rate Limiting binding as workerd simulates it (wrangler.toml
 * `[[ratelimits]]`: 60 per 60 s). Each test uses its own client addresses, so
 * the binding's counters never carry over between tests.
 */
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../edge/env.ts';
import {
  BROWSER_RATE_LIMIT_PERIOD_SECONDS,
  browserRateLimit,
  rateLimitKey,
} from '../../edge/http/browser-rate-limit.ts';
import { identifyCaller } from '../../edge/http/caller.ts';
import { type AppEnv, attachConfig } from '../../edge/http/context.ts';
import { handleError } from '../../edge/http/error-handler.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { ALLOWED_ORIGIN, type CallSpec, createEdge, isXErrorBody } from './hostile-harness.ts';
import { withinOneWindow } from './rate-limit-window.ts';

/** The limit configured in wrangler.toml. */
const LIMIT = 60;

/** A minimal app: the middleware in front of a handler that counts what got through. */
function limitedApp() {
  let reached = 0;
  const app = new Hono<AppEnv>();
  app.use('*', attachConfig);
  app.use('/events', identifyCaller, browserRateLimit());
  app.on(['POST', 'OPTIONS'], '/events', (c) => {
    reached++;
    return c.json({ accepted: 1 }, 202);
  });
  app.onError(handleError);
  return { app, reached: () => reached };
}

let nextHost = 1;
/** A fresh documentation-range IPv4 address (RFC 5737) per call. */
function freshIpv4(): string {
  const n = nextHost++;
  return `198.51.${Math.floor(n / 250) + 1}.${(n % 250) + 1}`;
}

function post(ip: string | undefined, headers: Record<string, string> = {}): Request {
  return new Request('https://edge.example/events', {
    method: 'POST',
    headers: {
      'content-type': 'text/plain',
      ...(ip ? { 'cf-connecting-ip': ip } : {}),
      ...headers,
    },
    body: '{}',
  });
}

async function statuses(
  app: Hono<AppEnv>,
  requests: Request[],
  bindings: Env = env,
): Promise<number[]> {
  const out: number[] = [];
  for (const request of requests) out.push((await app.fetch(request, bindings)).status);
  return out;
}

describe('rateLimitKey', () => {
  it.each([
    ['203.0.113.9', 'ip4:203.0.113.9'],
    [' 203.0.113.9 ', 'ip4:203.0.113.9'],
    ['2001:db8:1:2:aaaa::1', 'ip6:2001:db8:1:2::/64'],
    ['2001:DB8:1:2:bbbb:cccc:dddd:eeee', 'ip6:2001:db8:1:2::/64'],
    ['2001:db8::1', 'ip6:2001:db8::/64'],
    ['2001:db8:0:0:1::', 'ip6:2001:db8::/64'],
    // Zone ids (link-local scope) name an interface, not another client.
    ['fe80::1%eth0', 'ip6:fe80::/64'],
    ['fe80::2%25', 'ip6:fe80::/64'],
    ['::ffff:203.0.113.9', 'ip4:203.0.113.9'],
    ['::FFFF:1.2.3.4', 'ip4:1.2.3.4'],
    ['::ffff:cb00:7109', 'ip4:203.0.113.9'],
    ['0:0:0:0:0:ffff:203.0.113.9', 'ip4:203.0.113.9'],
    // Every spelling of one /64 is one key: leading zeros, full form, compressed form.
    ['2001:0db8:0001:0002:0000:0000:0000:0001', 'ip6:2001:db8:1:2::/64'],
    ['2001:db8:1:2::', 'ip6:2001:db8:1:2::/64'],
    ['2001:db8:1:2:0:0:0:0', 'ip6:2001:db8:1:2::/64'],
    // An embedded IPv4 tail that is not a mapped address stays IPv6.
    ['64:ff9b::203.0.113.9', 'ip6:64:ff9b::/64'],
  ])('%s -> %s', (address, key) => {
    expect(rateLimitKey(address)).toBe(key);
  });

  it.each([
    undefined,
    '',
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    'not-an-ip',
    '256.1.1.1',
    '1.2.3',
    '2001:db8::1::2',
    '2001:db8:1:2:3:4:5:6:7',
    '2001:db8:zzzz::1',
    '1:2:3:4:5:6:7',
    '127.1',
    '0x7f.0.0.1',
    '::ffff:256.1.1.1',
    '2001:db8:::1',
    ':::',
  ])('%s is not limited', (address) => {
    expect(rateLimitKey(address)).toBeUndefined();
  });
});

describe('browserRateLimit with the BROWSER_RATE_LIMITER binding', () => {
  it('has the binding in the test environment (from wrangler.toml)', () => {
    expect(env.BROWSER_RATE_LIMITER).toBeDefined();
  });

  it(`lets ${LIMIT} browser calls a minute through from one address, then answers 429 in X's shape`, async () => {
    const { app, reached, ip, first, res } = await withinOneWindow(async () => {
      const limited = limitedApp();
      const ip = freshIpv4();
      const first = await statuses(
        limited.app,
        Array.from({ length: LIMIT }, () => post(ip)),
      );
      return { ...limited, ip, first, res: await limited.app.fetch(post(ip), env) };
    });
    expect(first.every((s) => s === 202)).toBe(true);

    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(BROWSER_RATE_LIMIT_PERIOD_SECONDS));
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = await res.json<{ errors: { code: string; message: string }[] }>();
    expect(body).toEqual({
      errors: [{ code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('retry after 60') }],
    });
    // The answer never quotes the address it limited.
    expect(JSON.stringify(body)).not.toContain(ip);
    expect(reached()).toBe(LIMIT);

    // Another address is unaffected.
    expect((await app.fetch(post(freshIpv4()), env)).status).toBe(202);
  });

  it('counts a whole IPv6 /64 as one client, so rotating addresses does not help', async () => {
    const got = await withinOneWindow(() => {
      const prefix = `2001:db8:${nextHost++}:7`;
      const requests = Array.from({ length: LIMIT + 1 }, (_, i) =>
        post(`${prefix}::${(i + 1).toString(16)}`),
      );
      return statuses(limitedApp().app, requests);
    });
    expect(got.slice(0, LIMIT).every((s) => s === 202)).toBe(true);
    expect(got[LIMIT]).toBe(429);
  });

  it('never limits server calls with the right bearer key', async () => {
    const { app } = limitedApp();
    const ip = freshIpv4();
    const requests = Array.from({ length: LIMIT + 10 }, () =>
      post(ip, { authorization: `Bearer ${TEST_ACCOUNT.serverKey}` }),
    );
    expect((await statuses(app, requests)).every((s) => s === 202)).toBe(true);
  });

  it('counts calls with a wrong bearer key like browser calls (slows down key guessing)', async () => {
    const got = await withinOneWindow(() => {
      const ip = freshIpv4();
      const requests = Array.from({ length: LIMIT + 1 }, (_, i) =>
        post(ip, { authorization: `Bearer guess-${i}` }),
      );
      return statuses(limitedApp().app, requests);
    });
    expect(got[LIMIT]).toBe(429);
  });

  it('does not count preflights', async () => {
    const { app } = limitedApp();
    const ip = freshIpv4();
    const preflights = Array.from(
      { length: LIMIT + 10 },
      () =>
        new Request('https://edge.example/events', {
          method: 'OPTIONS',
          headers: { 'cf-connecting-ip': ip, origin: 'https://shop.example' },
        }),
    );
    expect((await statuses(app, preflights)).every((s) => s === 202)).toBe(true);
    expect((await app.fetch(post(ip), env)).status).toBe(202);
  });

  it('skips loopback addresses (wrangler dev)', async () => {
    const { app } = limitedApp();
    for (const ip of ['127.0.0.1', '::1']) {
      const got = await statuses(
        app,
        Array.from({ length: LIMIT + 5 }, () => post(ip)),
      );
      expect(got.every((s) => s === 202)).toBe(true);
    }
  });

  it('skips without error when the binding is absent', async () => {
    const { app } = limitedApp();
    const { BROWSER_RATE_LIMITER: _removed, ...withoutBinding } = env;
    const ip = freshIpv4();
    const got = await statuses(
      app,
      Array.from({ length: LIMIT + 5 }, () => post(ip)),
      withoutBinding,
    );
    expect(got.every((s) => s === 202)).toBe(true);
  });

  it('lets requests through, logging no address, when the binding fails', async () => {
    const { app } = limitedApp();
    const ip = freshIpv4();
    const failing: RateLimit = {
      limit: () => Promise.reject(new Error(`limiter down for ${ip}`)),
    };
    const logged: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    };
    try {
      const res = await app.fetch(post(ip), { ...env, BROWSER_RATE_LIMITER: failing });
      expect(res.status).toBe(202);
    } finally {
      console.warn = original;
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('browser rate limiter failed');
    expect(logged[0]).not.toContain(ip);
  });
});

describe('browser rate limit wired into POST /events', () => {
  it(`the ${LIMIT + 1}th browser call from one address is a 429 the page can read, and queues nothing`, async () => {
    const { edge, ip, first, queued, res, junk } = await withinOneWindow(async () => {
      const edge = createEdge();
      const ip = freshIpv4();
      const beacon: CallSpec = {
        json: { event: 'purchase', email: 'flood@example.com', value: 1 },
        headers: { 'cf-connecting-ip': ip },
      };
      const first: number[] = [];
      for (let i = 0; i < LIMIT; i++) first.push((await edge.call(beacon)).status);
      const queued = edge.recorder.messages.length;
      const res = await edge.call(beacon);
      // Junk from the same address, in the same window.
      const junk = await edge.call({ body: '{', headers: { 'cf-connecting-ip': ip } });
      return { edge, ip, first, queued, res, junk };
    });
    expect(first.every((s) => s === 202)).toBe(true);
    expect(queued).toBe(LIMIT);

    expect(res.status).toBe(429);
    expect(isXErrorBody(res.json)).toBe(true);
    expect(res.json).toMatchObject({ errors: [{ code: 'TOO_MANY_REQUESTS' }] });
    expect(res.headers.get('retry-after')).toBe('60');
    // CORS runs first, so the page's script can read the 429.
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(edge.recorder.messages.length).toBe(queued);

    // Junk from the same address is refused before its body is read: still 429, not 400.
    expect(junk.status).toBe(429);
    // The backend's server calls from the same address go through.
    const serverCall = await edge.call({
      server: true,
      origin: null,
      json: { event: 'purchase', hashed_email: 'a'.repeat(64) },
      headers: { 'cf-connecting-ip': ip },
    });
    expect(serverCall.status).toBe(202);
  });
});
