/**
 * Browser limits wider than one address: an IPv6 client is also counted on
 * its /56 and /48, every browser call on the pixel's cap, and calls with no
 * usable address in one shared bucket. The /56 and /48 run against the real
 * bindings as workerd simulates them (wrangler.toml `[[ratelimits]]`); the
 * pixel cap and the no-address bucket, which the test config opens wide
 * because every test file shares them, run against counting stand-ins.
 */
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../edge/env.ts';
import {
  browserRateLimit,
  clientAddress,
  NO_ADDRESS_KEY,
} from '../../edge/http/browser-rate-limit.ts';
import { identifyCaller } from '../../edge/http/caller.ts';
import { type AppEnv, attachConfig } from '../../edge/http/context.ts';
import { handleError } from '../../edge/http/error-handler.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { buildRequest } from './hostile-harness.ts';
import { withinOneWindow } from './rate-limit-window.ts';

/** Allowances in wrangler.toml. */
const PER_56 = 240;
const PER_48 = 600;

function limitedApp() {
  const app = new Hono<AppEnv>();
  app.use('*', attachConfig);
  app.use('/events', identifyCaller, browserRateLimit());
  app.post('/events', (c) => c.json({ accepted: 1 }, 202));
  app.onError(handleError);
  return app;
}

/** A browser call (or, with `authorization`, a server call) from `ip`. */
function post(ip: string | undefined, headers: Record<string, string> = {}): Request {
  return buildRequest({
    origin: null,
    body: '{}',
    headers: { ...(ip ? { 'cf-connecting-ip': ip } : {}), ...headers },
  });
}

/** A binding that counts keys and allows `allow` calls per key. */
function countingLimiter(allow: number) {
  const counts = new Map<string, number>();
  const binding: RateLimit = {
    async limit({ key }) {
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return { success: n <= allow };
    },
  };
  return { binding, counts };
}

let nextSite = 0x100;
/** A /48 of the documentation range no other test (or run of this file) uses. */
function freshSite(): string {
  nextSite += 1;
  return `2001:db8:${((Date.now() + nextSite * 7919) % 0xffff).toString(16)}`;
}

/** Sends `count` calls from the addresses `addressOf(site, i)`, on a fresh site per try, and the statuses they got. */
async function floodWithinOneMinute(
  count: number,
  addressOf: (site: string, i: number) => string,
): Promise<number[]> {
  const app = limitedApp();
  return withinOneWindow(async () => {
    const site = freshSite();
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 50) {
      const chunk = Array.from({ length: Math.min(50, count - i) }, (_, j) => i + j);
      const answers = await Promise.all(chunk.map((n) => app.fetch(post(addressOf(site, n)), env)));
      statuses.push(...answers.map((r) => r.status));
    }
    return statuses;
  });
}

describe('clientAddress', () => {
  it.each([
    [
      '2001:db8:1:2aa:aaaa::1',
      {
        kind: 'ipv6',
        key: 'ip6:2001:db8:1:2aa::/64',
        prefix56: 'ip6:2001:db8:1:200::/56',
        prefix48: 'ip6:2001:db8:1::/48',
      },
    ],
    [
      '2a02::5',
      {
        kind: 'ipv6',
        key: 'ip6:2a02::/64',
        prefix56: 'ip6:2a02::/56',
        prefix48: 'ip6:2a02::/48',
      },
    ],
    ['203.0.113.9', { kind: 'ipv4', key: 'ip4:203.0.113.9' }],
    ['::ffff:203.0.113.9', { kind: 'ipv4', key: 'ip4:203.0.113.9' }],
    ['127.0.0.1', { kind: 'loopback' }],
    ['::1', { kind: 'loopback' }],
    [undefined, { kind: 'unusable' }],
    ['', { kind: 'unusable' }],
    ['not-an-ip', { kind: 'unusable' }],
    ['300.1.1.1', { kind: 'unusable' }],
  ])('%s', (address, expected) => {
    expect(clientAddress(address)).toEqual(expected);
  });
});

describe('one routed IPv6 network is one client, however many /64s it has', () => {
  it(`cuts off a flood from many /64s of one /48 after ${PER_48} calls a minute`, async () => {
    // Each call from another /64, spread over 256 /56s so only the /48 allowance applies.
    const statuses = await floodWithinOneMinute(PER_48 + 50, (site, i) => {
      const group = ((i % 256) << 8) | Math.floor(i / 256);
      return `${site}:${group.toString(16)}::1`;
    });
    expect(statuses.filter((s) => s === 202)).toHaveLength(PER_48);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
  }, 60_000);

  it(`cuts off a flood from the /64s of one /56 after ${PER_56} calls a minute`, async () => {
    const statuses = await floodWithinOneMinute(PER_56 + 10, (site, i) => {
      return `${site}:${(0x4200 + (i % 256)).toString(16)}::${(i + 1).toString(16)}`;
    });
    expect(statuses.filter((s) => s === 202)).toHaveLength(PER_56);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  }, 60_000);
});

describe('no browser call goes uncounted', () => {
  it('puts every call without a usable client address into one shared bucket', async () => {
    const noAddress = countingLimiter(3);
    const testEnv: Env = { ...env, BROWSER_NO_ADDRESS_LIMITER: noAddress.binding };
    const app = limitedApp();
    const statuses: number[] = [];
    for (const ip of [undefined, '', 'garbage', '999.1.1.1', undefined]) {
      statuses.push((await app.fetch(post(ip), testEnv)).status);
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    expect([...noAddress.counts.keys()]).toEqual([NO_ADDRESS_KEY]);
  });

  it('counts every browser call toward the pixel cap, and names it in the 429', async () => {
    const pixel = countingLimiter(2);
    const testEnv: Env = { ...env, BROWSER_PIXEL_RATE_LIMITER: pixel.binding };
    const app = limitedApp();
    const site = freshSite();
    const answers = [];
    for (const ip of ['198.51.100.201', `${site}:1::1`, '198.51.100.202']) {
      answers.push(await app.fetch(post(ip), testEnv));
    }
    expect(answers.map((r) => r.status)).toEqual([202, 202, 429]);
    expect([...pixel.counts.keys()]).toEqual([`pixel:${TEST_ACCOUNT.pixelId}`]);
    const body = await answers[2]?.json<{ errors: { code: string; message: string }[] }>();
    expect(body?.errors[0]).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      message: expect.stringContaining('browsers for this pixel'),
    });
  });

  it('counts nothing for server calls with the right key, or for loopback (wrangler dev)', async () => {
    const pixel = countingLimiter(0);
    const noAddress = countingLimiter(0);
    const testEnv: Env = {
      ...env,
      BROWSER_PIXEL_RATE_LIMITER: pixel.binding,
      BROWSER_NO_ADDRESS_LIMITER: noAddress.binding,
    };
    const app = limitedApp();
    const server = { authorization: `Bearer ${TEST_ACCOUNT.serverKey}` };
    expect((await app.fetch(post(undefined, server), testEnv)).status).toBe(202);
    expect((await app.fetch(post('198.51.100.203', server), testEnv)).status).toBe(202);
    expect((await app.fetch(post('127.0.0.1'), testEnv)).status).toBe(202);
    expect((await app.fetch(post('::1'), testEnv)).status).toBe(202);
    expect(pixel.counts.size + noAddress.counts.size).toBe(0);
  });
});
