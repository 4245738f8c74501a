/**
 * The delivery side's logs stay free of IP addresses and secrets, whatever X
 * answers: the dry-run log shows the request but not the client's address or
 * credentials; X's error messages, which quote offending values, are masked
 * before they are logged or put on the dead letter queue; and a dead letter's
 * log line carries ids, never identifiers.
 *
 * X is replaced here by a `fetch` that answers what a test needs (X's real
 * error wording quotes values; the fake X API does not always), which is the
 * injection point `sendConversions` offers for exactly this.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type EdgeConfig, parseConfig } from '../../edge/config.ts';
import { describeDeadLetter } from '../../edge/delivery/dead-letter-consumer.ts';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import type { Env } from '../../edge/env.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { sendConversions } from '../../edge/x-api/x-client.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { captureConsole } from './hostile-harness.ts';

const IP4 = '198.51.100.23';
const IP6 = '2001:db8:cafe:1::23';
const HASHED_EMAIL = 'd360d510a224510f373931ce2d6215a799f5a9c1cef221b0149b6b6b50cced62';
const SECRETS = [
  TEST_ACCOUNT.consumerSecret,
  TEST_ACCOUNT.accessTokenSecret,
  TEST_ACCOUNT.accessToken,
  TEST_ACCOUNT.pixelToken,
  TEST_ACCOUNT.serverKey,
];

function configWith(overrides: Partial<Env>): EdgeConfig {
  const result = parseConfig({ ...env, ...overrides });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.config;
}

const oauthConfig = configWith({});
const pixelTokenConfig = configWith({
  X_CONSUMER_KEY: undefined,
  X_CONSUMER_SECRET: undefined,
  X_ACCESS_TOKEN: undefined,
  X_ACCESS_TOKEN_SECRET: undefined,
  X_PIXEL_TOKEN: TEST_ACCOUNT.pixelToken,
});
const dryRunConfig = configWith({
  X_CONSUMER_KEY: undefined,
  X_CONSUMER_SECRET: undefined,
  X_ACCESS_TOKEN: undefined,
  X_ACCESS_TOKEN_SECRET: undefined,
});

function conversion(ip: string): XConversion {
  return {
    conversion_time: new Date().toISOString(),
    event_id: 'o9d2g',
    identifiers: [{ hashed_email: HASHED_EMAIL }, { ip_address: ip, user_agent: 'Mozilla/5.0' }],
    conversion_id: 'privacy-delivery-1',
  };
}

/** A stand-in for X answering `status` with `body`. */
function xAnswers(status: number, body: unknown): typeof fetch {
  return async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
}

function expectClean(text: string, needles: readonly string[]): void {
  for (const needle of needles) expect(text, `contains "${needle}"`).not.toContain(needle);
}

describe('delivery logs', () => {
  it('dry run: the logged request has no client IP and no credentials', async () => {
    for (const ip of [IP4, IP6]) {
      const { result, logs } = await captureConsole(() =>
        sendConversions(dryRunConfig, [conversion(ip)]),
      );
      expect(result.kind).toBe('dry-run');
      expect(logs.join('\n')).toContain('dry run');
      expectClean(logs.join('\n'), [ip, ...SECRETS]);
    }
  });

  for (const [name, config] of [
    ['OAuth 1.0a', oauthConfig],
    ['pixel token', pixelTokenConfig],
  ] as const) {
    it(`${name}: X's 400 quoting the IP address is masked in logs and in the outcome (the dead letter)`, async () => {
      for (const ip of [IP4, IP6]) {
        const { result, logs } = await captureConsole(() =>
          sendConversions(config, [conversion(ip)], {
            fetch: xAnswers(400, {
              errors: [
                {
                  code: 'INVALID_PARAMETER',
                  message: `ip_address (${ip}) is not valid for user_agent Mozilla/5.0`,
                  parameter: 'identifiers',
                },
              ],
            }),
          }),
        );
        expect(result.kind).toBe('invalid');
        expectClean(logs.join('\n'), [ip, ...SECRETS]);
        expectClean(JSON.stringify(result), [ip, ...SECRETS]);
      }
    });

    it(`${name}: 401, 429, 5xx and a non-JSON answer log no secret and no IP`, async () => {
      for (const [status, body] of [
        [
          401,
          { errors: [{ code: 'UNAUTHORIZED', message: `bad token ${TEST_ACCOUNT.accessToken}` }] },
        ],
        [429, { errors: [{ code: 'TOO_MANY_REQUESTS', message: 'slow down' }] }],
        [503, `<html>upstream ${IP4} down</html>`],
        [200, 'not json'],
      ] as const) {
        const { logs } = await captureConsole(() =>
          sendConversions(config, [conversion(IP4)], { fetch: xAnswers(status, body) }),
        );
        expect(logs.length).toBeGreaterThan(0);
        expectClean(logs.join('\n'), [
          IP4,
          TEST_ACCOUNT.consumerSecret,
          TEST_ACCOUNT.accessTokenSecret,
          TEST_ACCOUNT.pixelToken,
        ]);
      }
    });
  }

  it('a network failure logs the error kind, not the request', async () => {
    const { logs } = await captureConsole(() =>
      sendConversions(oauthConfig, [conversion(IP4)], {
        fetch: async (input) => {
          throw new TypeError(`fetch failed for ${String(input)} with ${IP4}`);
        },
      }),
    );
    expectClean(logs.join('\n'), [IP4, ...SECRETS]);
  });

  it('a dead letter is described by ids and reason, never by identifiers', () => {
    const letter: DeliveryMessage = {
      pixelId: TEST_ACCOUNT.pixelId,
      source: 'server',
      conversion: conversion(IP4),
      acceptedAt: Date.now(),
    };
    const line = JSON.stringify(describeDeadLetter(letter));
    expect(line).toContain('privacy-delivery-1');
    expectClean(line, [IP4, HASHED_EMAIL, 'Mozilla/5.0']);
  });
});
