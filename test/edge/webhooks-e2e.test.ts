/**
 * Shop webhooks end to end in workerd: a signed delivery to the real app,
 * through the real delivery queue, consumer and `RateBudget`, to the fake X
 * over HTTP (OAuth-checked). Each test has its own pixel at the fake.
 *
 * For each shop, the same delivery is sent twice (a platform retry) and X
 * gets exactly one conversion: the click id, the hashed email, the exact
 * value and currency, the order id as `conversion_id`. And the thank-you
 * page's browser copy of an order plus the order's webhook reach X once, as
 * the webhook's server copy.
 */

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createHash } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import type { Env } from '../../edge/env.ts';
import { fakeXControl } from '../fake-x/control.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import {
  shopifyHeaders,
  shopifyOrderBody,
  stripeEventBody,
  stripeHeaders,
  WEBHOOK_SECRETS,
  wooHeaders,
  wooOrderBody,
} from './webhook-signing.ts';

const fakeX = fakeXControl(inject('fakeXUrl'));
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** Queue batching (max_batch_timeout 2 s) plus the request to the fake, with room. */
const DELIVERY_DEADLINE_MS = 15_000;
/** How long a second conversion is waited for before "exactly one" is taken as shown. */
const QUIET_MS = 6_000;

async function edgeFor(overrides: Partial<Env> = {}) {
  const account = await fakeX.addAccount();
  const bindings: Env = {
    ...env,
    ...WEBHOOK_SECRETS,
    X_PIXEL_ID: account.pixelId,
    X_EVENTS: JSON.stringify(account.events),
    ...overrides,
  };
  const app = createApp('');
  async function post(path: string, body: string, headers: Record<string, string>) {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`https://edge.example${path}`, { method: 'POST', headers, body }),
      bindings,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }
  /** `/status` counts of the purchase event in the last hour. */
  async function purchaseStatus() {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request('https://edge.example/status', {
        headers: { authorization: `Bearer ${TEST_ACCOUNT.serverKey}` },
      }),
      bindings,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const status = (await res.json()) as {
      windows: { '1h': { events: Record<string, { accepted: number; sources: object }> } };
    };
    return status.windows['1h'].events.purchase;
  }
  return { account, post, purchaseStatus };
}

/** X's conversions for the pixel once one arrived, and after a quiet spell with no second. */
async function exactlyOneAtX(pixelId: string) {
  const first = await fakeX.receivedWhen(
    pixelId,
    (r) => r.conversions.length > 0,
    DELIVERY_DEADLINE_MS,
  );
  expect(first.conversions).toHaveLength(1);
  const later = await fakeX.receivedWhen(pixelId, (r) => r.conversions.length > 1, QUIET_MS);
  expect(later.conversions).toHaveLength(1);
  return later.conversions[0];
}

const TIMEOUT = DELIVERY_DEADLINE_MS + QUIET_MS + 10_000;

describe.concurrent('shop webhooks to X, end to end', () => {
  it(
    'Shopify: orders/create and a retried orders/paid make one conversion',
    async () => {
      const { account, post, purchaseStatus } = await edgeFor();
      const body = shopifyOrderBody();
      const answers = [
        await post('/webhooks/shopify', body, shopifyHeaders(body, 'orders/create')),
        await post('/webhooks/shopify', body, shopifyHeaders(body, 'orders/paid')),
        await post('/webhooks/shopify', body, shopifyHeaders(body, 'orders/paid')),
      ];
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
      const conversion = await exactlyOneAtX(account.pixelId);
      expect(conversion).toMatchObject({
        event_id: account.events.purchase,
        conversion_id: '6104372981234',
        value: '58.40',
        price_currency: 'EUR',
      });
      expect(conversion?.identifiers).toEqual(
        expect.arrayContaining([
          { twclid: TWCLID },
          { hashed_email: sha256('ada.lovelace@example.com') },
        ]),
      );
      // /status counts the order once, under its source.
      expect(await purchaseStatus()).toMatchObject({ accepted: 1, sources: { shopify: 1 } });
    },
    TIMEOUT,
  );

  it(
    'Stripe: a paid session delivered twice makes one conversion',
    async () => {
      const { account, post } = await edgeFor();
      const body = stripeEventBody();
      expect((await post('/webhooks/stripe', body, stripeHeaders(body))).status).toBe(202);
      expect((await post('/webhooks/stripe', body, stripeHeaders(body))).status).toBe(202);
      const conversion = await exactlyOneAtX(account.pixelId);
      expect(conversion).toMatchObject({
        conversion_id: 'order-5521',
        value: '20.00',
        price_currency: 'USD',
      });
      expect(conversion?.identifiers).toEqual(
        expect.arrayContaining([
          { twclid: TWCLID },
          { hashed_email: sha256('grace.hopper@example.com') },
        ]),
      );
    },
    TIMEOUT,
  );

  it(
    'WooCommerce: a pending order, then processing and completed updates, make one conversion',
    async () => {
      const { account, post } = await edgeFor();
      const pending = wooOrderBody({ status: 'pending' });
      expect(
        (await post('/webhooks/woocommerce', pending, wooHeaders(pending, 'order.created'))).status,
      ).toBe(200);
      for (const status of ['processing', 'completed']) {
        const body = wooOrderBody({ status });
        expect((await post('/webhooks/woocommerce', body, wooHeaders(body))).status).toBe(202);
      }
      const conversion = await exactlyOneAtX(account.pixelId);
      expect(conversion).toMatchObject({
        conversion_id: '727',
        value: '12.345',
        price_currency: 'KWD',
      });
      expect(conversion?.identifiers).toEqual(
        expect.arrayContaining([
          { twclid: TWCLID },
          { hashed_email: sha256('k.johnson@example.org') },
        ]),
      );
    },
    TIMEOUT,
  );

  it(
    "the thank-you page's browser copy and the order's webhook reach X once, as the server copy",
    async () => {
      // Browser copies wait on the queue for the backend's copy (BROWSER_HOLD_SECONDS).
      const { account, post } = await edgeFor({ BROWSER_HOLD_SECONDS: '3' });
      const beacon = await post(
        '/events',
        JSON.stringify({
          event: 'purchase',
          conversion_id: '6104372981234',
          value: '58.40',
          currency: 'EUR',
        }),
        {
          'content-type': 'text/plain;charset=UTF-8',
          origin: 'https://shop.example',
          cookie: `_twclid=${TWCLID}`,
        },
      );
      expect(beacon.status).toBe(202);
      const body = shopifyOrderBody();
      expect((await post('/webhooks/shopify', body, shopifyHeaders(body))).status).toBe(202);
      const conversion = await exactlyOneAtX(account.pixelId);
      expect(conversion?.conversion_id).toBe('6104372981234');
      // Only the order carried the email: this is the webhook's copy.
      expect(conversion?.identifiers).toContainEqual({
        hashed_email: sha256('ada.lovelace@example.com'),
      });
    },
    TIMEOUT,
  );
});
