/**
 * Defaults that are safe on their own: a short SERVER_KEY or a missing
 * QUEUE_SEAL_KEY is a configuration problem, not a weak deployment; a refused
 * bearer key gets one 401 whatever the configuration; queued addresses survive
 * a seal key rotation; the demo pages stay on loopback hosts.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { parseConfig } from '../../edge/config.ts';
import type { QueuedConversions } from '../../edge/delivery/message.ts';
import { deliverBatch, type SendToX } from '../../edge/delivery/queue-consumer.ts';
import { sealAddress } from '../../edge/delivery/seal-address.ts';
import type { Env } from '../../edge/env.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { configOf, createEdge } from './hostile-harness.ts';

const LONG = 'k'.repeat(32);
const SHORT = 'k'.repeat(31);
const CREDENTIALS: Env = {
  X_CONSUMER_KEY: TEST_ACCOUNT.consumerKey,
  X_CONSUMER_SECRET: TEST_ACCOUNT.consumerSecret,
  X_ACCESS_TOKEN: TEST_ACCOUNT.accessToken,
  X_ACCESS_TOKEN_SECRET: TEST_ACCOUNT.accessTokenSecret,
};
const BASE: Env = {
  X_PIXEL_ID: 'o9d7n',
  X_EVENTS: '{"purchase":"o9d2g"}',
  ALLOWED_ORIGINS: 'https://shop.example',
};

function problemsOf(bindings: Env): string[] {
  const result = parseConfig({ ...BASE, ...bindings });
  return result.ok ? [] : result.problems;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('SERVER_KEY and QUEUE_SEAL_KEY must be strong and present', () => {
  it.each<[string, Env, string[]]>([
    ['a one-letter SERVER_KEY', { SERVER_KEY: 'a' }, ['SERVER_KEY must be at least 32']],
    ['a 31-character SERVER_KEY', { SERVER_KEY: SHORT }, ['SERVER_KEY must be at least 32']],
    ['X credentials without a seal key', { ...CREDENTIALS }, ['QUEUE_SEAL_KEY is not set']],
    ['a pixel token without a seal key', { X_PIXEL_TOKEN: 'pt' }, ['QUEUE_SEAL_KEY is not set']],
    [
      'short seal keys',
      { ...CREDENTIALS, QUEUE_SEAL_KEY: SHORT, QUEUE_SEAL_KEY_PREVIOUS: 'old' },
      ['QUEUE_SEAL_KEY must be at least 32', 'QUEUE_SEAL_KEY_PREVIOUS must be at least 32'],
    ],
  ])('%s is a configuration problem', (_name, bindings, expected) => {
    const problems = problemsOf(bindings);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((text, i) => {
      expect(problems[i]).toContain(text);
      expect(problems[i]).toContain('openssl rand -base64 32');
    });
  });

  it('accepts 32-character keys, and a dry run (no X credentials) needs no seal key', () => {
    expect(problemsOf({ SERVER_KEY: LONG, ...CREDENTIALS, QUEUE_SEAL_KEY: LONG })).toEqual([]);
    expect(problemsOf({})).toEqual([]);
    expect(problemsOf({ SERVER_KEY: LONG })).toEqual([]);
  });

  it('answers every call 503 naming SERVER_KEY when it is short, and /health says not ok', async () => {
    const edge = createEdge({ SERVER_KEY: SHORT });
    const server = await edge.call({
      server: false,
      authorization: `Bearer ${SHORT}`,
      origin: null,
      json: { event: 'purchase', hashed_email: 'a'.repeat(64) },
    });
    expect(server.status).toBe(503);
    expect(JSON.stringify(server.json)).toContain('SERVER_KEY must be at least 32 characters');
    expect(JSON.stringify(server.json)).not.toContain(SHORT);
    const browser = await edge.call({ json: { event: 'purchase', twclid: 'abc' } });
    expect(browser.status).toBe(503);
    expect(edge.recorder.messages).toHaveLength(0);
    const health = await edge.fetch(new Request('https://edge.example/health'));
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false });
  });
});

describe('a refused bearer key', () => {
  it('gets the same 401 whether SERVER_KEY is set or not', async () => {
    const withKey = createEdge();
    const withoutKey = createEdge({ SERVER_KEY: undefined });
    const answers = [];
    for (const [edge, authorization] of [
      [withKey, 'Bearer wrong-key-0123456789abcdef0123456789'],
      [withoutKey, 'Bearer wrong-key-0123456789abcdef0123456789'],
      [withoutKey, `Bearer ${TEST_ACCOUNT.serverKey}`],
      [withKey, 'Bearer'],
      [withoutKey, 'Bearer'],
      [withKey, 'Bearer two words'],
      [withoutKey, 'Bearer two words'],
    ] as const) {
      const res = await edge.call({ authorization, origin: null, json: { event: 'purchase' } });
      answers.push({
        status: res.status,
        body: res.json,
        challenge: res.headers.get('www-authenticate'),
      });
    }
    expect(answers[0]).toEqual({
      status: 401,
      body: { errors: [{ code: 'UNAUTHORIZED', message: expect.any(String) }] },
      challenge: 'Bearer realm="x-capi-edge"',
    });
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });
});

describe('seal key rotation with messages in flight', () => {
  it('delivers the IP of messages sealed under the old key after QUEUE_SEAL_KEY changes', async () => {
    const OLD = 'old-seal-key-0123456789abcdef01234';
    const NEW = 'new-seal-key-0123456789abcdef01234';
    const pixel = `rot${Date.now().toString(36)}`;
    const before = configOf({ ...env, QUEUE_SEAL_KEY: OLD });
    const conversions: XConversion[] = ['r1', 'r2'].map((id) => ({
      conversion_time: '2026-11-28T10:00:00.000Z',
      event_id: 'o9d2g',
      identifiers: [{ ip_address: `192.0.2.${id.length}`, user_agent: 'Mozilla/5.0 Rot' }],
      conversion_id: id,
    }));
    const queued = await Promise.all(conversions.map((c) => sealAddress(before, pixel, c)));
    const batch = createMessageBatch<QueuedConversions>(
      'x-capi-deliveries',
      queued.map((q, i) => ({
        id: `rot-${i}`,
        timestamp: new Date(),
        attempts: 1,
        body: {
          conversions: [
            {
              pixelId: pixel,
              source: 'server' as const,
              conversion: q.conversion,
              ...(q.sealedAddress ? { sealedAddress: q.sealedAddress } : {}),
              acceptedAt: Date.now(),
            },
          ],
        },
      })),
    );
    const seen: XConversion[] = [];
    const send: SendToX = async (_config, sent) => {
      seen.push(...sent);
      return { kind: 'delivered', status: 200 };
    };
    const rotated: Env = { ...env, QUEUE_SEAL_KEY: NEW, QUEUE_SEAL_KEY_PREVIOUS: OLD };
    const ctx = createExecutionContext();
    await deliverBatch(batch, rotated, { send });
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(['rot-0', 'rot-1']);
    expect(seen).toEqual(conversions);
  });
});

describe('/demo only on a loopback host', () => {
  const app = createApp('');
  const demo: Env = { ...env, DEMO: 'true' };

  it.each([
    'https://edge.example/demo/sent',
    'https://x-capi-edge.shop.workers.dev/demo/',
    'http://203.0.113.7/demo/checkout',
    'http://localhost.evil.example/demo/sent',
  ])('%s answers 404', async (url) => {
    expect((await app.fetch(new Request(url), demo)).status).toBe(404);
  });

  it.each([
    'http://127.0.0.1:8787/demo/sent',
    'http://localhost:8787/demo/',
    'http://shop.localhost:8787/demo/checkout',
    'http://[::1]:8787/demo/sent',
  ])('%s is served', async (url) => {
    expect((await app.fetch(new Request(url), demo)).status).toBe(200);
  });

  it('is served on any host with DEMO_PUBLIC=true', async () => {
    const res = await app.fetch(new Request('https://edge.example/demo/sent'), {
      ...demo,
      DEMO_PUBLIC: 'true',
    });
    expect(res.status).toBe(200);
  });
});
