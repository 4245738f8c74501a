/**
 * End to end, with the real delivery queue and the fake X API: a burst of
 * hostile requests followed by one valid sentinel. Once the sentinel has
 * reached the fake X, it must be the only conversion there, and every request
 * X saw must have been accepted: junk never gets as far as the advertiser's
 * X account, and never makes X reject a batch.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { fakeXControl, type Received } from '../fake-x/control.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { ALLOWED_ORIGIN, buildRequest, type CallSpec } from './hostile-harness.ts';

const fakeX = fakeXControl(inject('fakeXUrl'));
/** Queue batching (max_batch_timeout 2 s) plus the request to the fake. */
const DEADLINE_MS = 15_000;
const EMAIL = 'e2e.hostile@example.com';

const HOSTILE: CallSpec[] = [
  { json: { event: 'purchase', email: EMAIL, value: -100 } },
  { json: { event: 'purchase', email: EMAIL, value: '1e9999' } },
  { json: { event: 'purchase', email: EMAIL, number_items: 0 } },
  { json: { event: 'refund', email: EMAIL } },
  { json: { event: 'purchase', email: 'not-an-email' } },
  { json: { event: 'purchase', phone: 'call me' } },
  { json: { event: 'purchase', twclid: 'a b c' } },
  { json: { event: 'purchase' } },
  { json: { event: 'purchase', email: EMAIL, conversion_time: '2020-01-01T00:00:00.000Z' } },
  { json: { event: 'purchase', email: EMAIL, hashed_email: 'a'.repeat(64) } },
  { json: { events: [{ event: 'purchase', email: EMAIL }] } },
  { json: { event: 'purchase', email: EMAIL, __proto__x: 1 } },
  { json: { event: 'purchase', email: EMAIL, contents: Array.from({ length: 51 }, () => ({})) } },
  { json: { event: 'purchase', email: EMAIL }, origin: 'https://evil.example' },
  { json: { event: 'purchase', email: EMAIL }, origin: null },
  { json: { event: 'purchase', email: EMAIL }, contentType: 'application/xml' },
  { json: { event: 'purchase', email: EMAIL }, authorization: 'Bearer nope' },
  { body: '{"event":"purchase","email":' },
  { body: 'x'.repeat(20_000) },
  {
    json: {
      events: Array.from({ length: 501 }, () => ({
        event: 'purchase',
        hashed_email: 'a'.repeat(64),
      })),
    },
    server: true,
    origin: null,
  },
  {
    json: {
      event: 'purchase',
      hashed_email: 'a'.repeat(64),
      conversion_time: new Date(Date.now() + 86_400_000).toISOString(),
    },
    server: true,
    origin: null,
  },
  { json: { event: 'purchase', email: EMAIL }, headers: { 'sec-gpc': '1' } },
];

describe('hostile burst, end to end', () => {
  it(
    'only the valid sentinel reaches X, and X rejects nothing',
    async () => {
      const account = await fakeX.addAccount();
      const bindings = {
        ...env,
        X_PIXEL_ID: account.pixelId,
        X_EVENTS: JSON.stringify(account.events),
      };
      const app = createApp('');
      async function send(spec: CallSpec): Promise<number> {
        const ctx = createExecutionContext();
        const res = await app.fetch(buildRequest(spec), bindings, ctx);
        await waitOnExecutionContext(ctx);
        return res.status;
      }

      const statuses: number[] = [];
      for (const spec of HOSTILE) statuses.push(await send(spec));
      // Every hostile request is refused (GPC: accepted with nothing forwarded).
      expect(
        statuses.slice(0, -1).every((s) => s >= 400 && s < 500),
        String(statuses),
      ).toBe(true);
      expect(statuses.at(-1)).toBe(202);

      expect(
        await send({
          json: {
            event: 'purchase',
            email: EMAIL,
            value: 20,
            conversion_id: 'hostile-e2e-sentinel',
          },
          origin: ALLOWED_ORIGIN,
        }),
      ).toBe(202);

      const deadline = Date.now() + DEADLINE_MS;
      let received: Received = await fakeX.received(account.pixelId);
      while (received.conversions.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        received = await fakeX.received(account.pixelId);
      }
      expect(received.conversions.map((c) => c.conversion_id)).toEqual(['hostile-e2e-sentinel']);
      expect(received.requests.map((r) => r.outcome)).toEqual(['accepted']);
      expect(JSON.stringify(received)).not.toContain(EMAIL);
      expect(received.conversions[0]?.event_id).toBe(
        account.events.purchase ?? TEST_ACCOUNT.events.purchase,
      );
    },
    DEADLINE_MS + 5_000,
  );
});
