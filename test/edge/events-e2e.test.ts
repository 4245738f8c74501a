/**
 * End to end in workerd: a browser beacon to `POST /events` ends up at the
 * fake X API as one OAuth-signed conversion, with the click id as sent and
 * the email normalized and hashed. Delivery is asynchronous (a queue), so the
 * test polls the fake's record with a bounded wait.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { fakeXControl } from '../fake-x/control.ts';

const fakeX = fakeXControl(inject('fakeXUrl'));
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
// sha256("test@twitter.com"); X's docs show the prefix d360d510.
const EMAIL_HASH = 'd360d510a224510f373931ce2d6215a799f5a9c1cef221b0149b6b6b50cced62';
/** Upper bound for queue batching (max_batch_timeout 2 s) plus the request to the fake. */
const DELIVERY_DEADLINE_MS = 15_000;

describe('beacon to X, end to end', () => {
  it(
    'delivers one signed conversion: twclid as is, email hashed after normalizing',
    async () => {
      const account = await fakeX.addAccount();
      const app = createApp('');
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request('https://edge.example/events', {
          method: 'POST',
          headers: {
            'content-type': 'text/plain;charset=UTF-8',
            origin: 'https://shop.example',
            cookie: `_twclid=${encodeURIComponent(JSON.stringify({ twclid: TWCLID, timestamp: Date.now() }))}`,
          },
          body: JSON.stringify({
            event: 'purchase',
            email: '  Test@Twitter.com ',
            value: 20,
            currency: 'USD',
            conversion_id: 'e2e-order-1',
          }),
        }),
        { ...env, X_PIXEL_ID: account.pixelId, X_EVENTS: JSON.stringify(account.events) },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 1, conversion_ids: ['e2e-order-1'] });

      const received = await fakeX.receivedWhen(
        account.pixelId,
        (r) => r.conversions.length > 0,
        DELIVERY_DEADLINE_MS,
      );
      expect(received.conversions).toEqual([
        {
          conversion_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          event_id: account.events.purchase,
          identifiers: [{ twclid: TWCLID }, { hashed_email: EMAIL_HASH }],
          conversion_id: 'e2e-order-1',
          value: '20.00',
          price_currency: 'USD',
        },
      ]);
      const accepted = received.requests.filter((r) => r.outcome === 'accepted');
      expect(accepted).toHaveLength(1);
      expect(accepted[0]?.auth).toBe('oauth1');
    },
    DELIVERY_DEADLINE_MS + 5_000,
  );
});
