/**
 * The three webhook routes in workerd, with the delivery queue a recorder:
 * what is answered, and what is queued (a server copy, hashed, marked with
 * its source), for signed deliveries in each shop's published shape. The
 * signatures come from node:crypto (./webhook-signing.ts), not from the
 * WebCrypto code under test.
 */
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import { captureConsole, createEdge, type Edge, isXErrorBody } from './hostile-harness.ts';
import {
  base64Signature,
  SHOPIFY_PREVIOUS_SECRET,
  STRIPE_SECRET,
  shopifyHeaders,
  shopifyOrderBody,
  stripeEventBody,
  stripeHeaders,
  stripeSignature,
  WEBHOOK_SECRETS,
  WOOCOMMERCE_SECRET,
  wooHeaders,
  wooOrderBody,
} from './webhook-signing.ts';

const edge = createEdge(WEBHOOK_SECRETS);

interface StatusBody {
  windows: { '1h': { events: Record<string, { skipped?: Record<string, number> }> } };
}
const closed = createEdge();

async function deliver(
  target: Edge,
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
) {
  const before = target.recorder.messages.length;
  const { result, logs } = await captureConsole(() =>
    target.call({ path, body, headers, origin: null, contentType: null }),
  );
  return { ...result, logs, queued: target.recorder.messages.slice(before) };
}

function only(queued: DeliveryMessage[]): DeliveryMessage {
  expect(queued).toHaveLength(1);
  return queued[0] as DeliveryMessage;
}

describe('webhook routes: closed until a secret is set', () => {
  it.each([
    ['/webhooks/shopify', shopifyHeaders(shopifyOrderBody())],
    ['/webhooks/stripe', stripeHeaders(stripeEventBody())],
    ['/webhooks/woocommerce', wooHeaders(wooOrderBody())],
  ])('%s answers 404 in X shape and queues nothing', async (path, headers) => {
    const res = await deliver(closed, path, '{}', headers);
    expect(res.status).toBe(404);
    expect(isXErrorBody(res.json)).toBe(true);
    expect(res.queued).toEqual([]);
  });
});

describe('webhook routes: signatures', () => {
  const cases = [
    ['/webhooks/shopify', shopifyOrderBody(), 'x-shopify-hmac-sha256', shopifyHeaders],
    ['/webhooks/stripe', stripeEventBody(), 'stripe-signature', (b: string) => stripeHeaders(b)],
    ['/webhooks/woocommerce', wooOrderBody(), 'x-wc-webhook-signature', wooHeaders],
  ] as const;

  it.each(cases)(
    '%s: missing or wrong signature is 401, nothing queued or logged raw',
    async (path, body, header, headersOf) => {
      const signed = headersOf(body);
      const missing = { ...signed };
      delete (missing as Record<string, string>)[header];
      const tampered = body.replace('"currency"', '"currency" ');
      for (const [name, sent, headers] of [
        ['missing', body, missing],
        ['other body', tampered, signed],
        ['garbage', body, { ...signed, [header]: 'not-a-signature' }],
      ] as const) {
        const res = await deliver(edge, path, sent, headers);
        expect(res.status, name).toBe(401);
        expect(isXErrorBody(res.json), name).toBe(true);
        expect((res.json as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAUTHORIZED');
        expect(res.queued, name).toEqual([]);
        const logs = res.logs.join('\n').toLowerCase();
        for (const raw of ['lovelace', 'hopper', 'johnson', '198.51.100.23', '2001:db8:85a3']) {
          expect(logs.includes(raw), `${name}: log holds ${raw}`).toBe(false);
        }
      }
    },
  );

  it('Shopify: the previous secret still verifies (an hour after rotation); any other does not', async () => {
    const body = shopifyOrderBody();
    const old = await deliver(
      edge,
      '/webhooks/shopify',
      body,
      shopifyHeaders(body, 'orders/paid', SHOPIFY_PREVIOUS_SECRET),
    );
    expect(old.status).toBe(202);
    const other = await deliver(
      edge,
      '/webhooks/shopify',
      body,
      shopifyHeaders(body, 'orders/paid', 'some-other-shop-secret-0123456789'),
    );
    expect(other.status).toBe(401);
  });

  it('Stripe: refuses a timestamp beyond five minutes either way; takes any matching v1', async () => {
    const body = stripeEventBody();
    const now = Math.floor(Date.now() / 1000);
    for (const seconds of [now - 301, now + 301]) {
      const res = await deliver(
        edge,
        '/webhooks/stripe',
        body,
        stripeHeaders(body, stripeSignature([STRIPE_SECRET], body, seconds)),
      );
      expect(res.status).toBe(401);
      expect(res.queued).toEqual([]);
    }
    // Rolling the secret: Stripe signs with both, the old one first; v0 is ignored.
    const rolled = `${stripeSignature(['whsec_old_secret_abcdefghijklmnop', STRIPE_SECRET], body)},v0=00`;
    const res = await deliver(edge, '/webhooks/stripe', body, stripeHeaders(body, rolled));
    expect(res.status).toBe(202);
  });

  it('the signature covers the raw bytes: a body that is not UTF-8 is verified as sent', async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0x7d]); // "{", an invalid byte, "}"
    const res = await deliver(edge, '/webhooks/woocommerce', bytes, {
      'content-type': 'application/json',
      'x-wc-webhook-topic': 'order.updated',
      // Signed over the text a decoder would make of it (U+FFFD): must not verify.
      'x-wc-webhook-signature': base64Signature(WOOCOMMERCE_SECRET, '{\uFFFD}'),
    });
    expect(res.status).toBe(401);
  });

  it('a body over the cap is 413 before any signature check', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
    const res = await deliver(edge, '/webhooks/shopify', big, shopifyHeaders(big));
    expect(res.status).toBe(413);
    expect(isXErrorBody(res.json)).toBe(true);
    expect(res.queued).toEqual([]);
  });

  it('a signed body that is not JSON, or not an order, is 400 in X shape', async () => {
    const notJson = 'order=1';
    const res = await deliver(edge, '/webhooks/shopify', notJson, shopifyHeaders(notJson));
    expect(res.status).toBe(400);
    expect(isXErrorBody(res.json)).toBe(true);
    const noId = JSON.stringify({ email: 'a@b.example' });
    const shape = await deliver(edge, '/webhooks/woocommerce', noId, wooHeaders(noId));
    expect(shape.status).toBe(400);
    expect(shape.json).toEqual({
      errors: [
        { code: 'INVALID_PARAMETER', message: 'the order has no readable id', parameter: 'id' },
      ],
    });
  });
});

describe('webhook routes: what is sent', () => {
  it('Shopify order: one server copy, order id, hashed email, marked as from Shopify', async () => {
    const body = shopifyOrderBody();
    const res = await deliver(edge, '/webhooks/shopify', body, shopifyHeaders(body));
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ accepted: 1, conversion_ids: ['6104372981234'] });
    const msg = only(res.queued);
    expect(msg).toMatchObject({ source: 'server', via: 'shopify', event: 'purchase' });
    expect(msg.conversion).toMatchObject({
      conversion_id: '6104372981234',
      value: '58.40',
      price_currency: 'EUR',
    });
    const queued = JSON.stringify(msg).toLowerCase();
    for (const raw of ['ada.lovelace', '7946', '198.51.100.23']) expect(queued).not.toContain(raw);
    expect(msg.sealedAddress).toEqual(expect.any(String));
  });

  it('Shopify test order: 200, counted as skipped in /status, nothing queued', async () => {
    const testOrdersSkipped = async () => {
      const status = await edge.call({ method: 'GET', path: '/status', server: true });
      const events = (status.json as StatusBody).windows['1h'].events;
      return events.purchase?.skipped?.test_order ?? 0;
    };
    const before = await testOrdersSkipped();
    const body = shopifyOrderBody({ test: true });
    const res = await deliver(edge, '/webhooks/shopify', body, shopifyHeaders(body));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 0, skipped: 'test_order' });
    expect(res.queued).toEqual([]);
    expect(await testOrdersSkipped()).toBe(before + 1);
  });

  it.each([
    ['/webhooks/shopify', 'refunds/create', shopifyOrderBody(), shopifyHeaders],
    ['/webhooks/shopify', 'customers/create', shopifyOrderBody(), shopifyHeaders],
    ['/webhooks/woocommerce', 'order.updated', wooOrderBody({ status: 'pending' }), wooHeaders],
    ['/webhooks/woocommerce', 'order.updated', wooOrderBody({ status: 'refunded' }), wooHeaders],
    ['/webhooks/woocommerce', 'product.created', wooOrderBody(), wooHeaders],
  ] as const)(
    '%s %s (not a purchase now): 200, nothing queued',
    async (path, topic, body, headersOf) => {
      const res = await deliver(edge, path, body, headersOf(body, topic));
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ accepted: 0, conversion_ids: [] });
      expect(res.queued).toEqual([]);
    },
  );

  it('Stripe: unpaid session and a refund are acknowledged; async success sends', async () => {
    const unpaid = stripeEventBody({ payment_status: 'unpaid' });
    const waiting = await deliver(edge, '/webhooks/stripe', unpaid, stripeHeaders(unpaid));
    expect(waiting.status).toBe(200);
    expect(waiting.queued).toEqual([]);
    const refund = stripeEventBody({}, { type: 'charge.refunded' });
    const refunded = await deliver(edge, '/webhooks/stripe', refund, stripeHeaders(refund));
    expect(refunded.status).toBe(200);
    expect(refunded.json).toMatchObject({ message: expect.stringContaining('cannot retract') });
    expect(refunded.queued).toEqual([]);
    const paid = stripeEventBody({}, { type: 'checkout.session.async_payment_succeeded' });
    const sent = await deliver(edge, '/webhooks/stripe', paid, stripeHeaders(paid));
    expect(sent.status).toBe(202);
    expect(only(sent.queued)).toMatchObject({
      via: 'stripe',
      conversion: { conversion_id: 'order-5521', value: '20.00', price_currency: 'USD' },
    });
  });

  it('WooCommerce: the unsigned ping answers 200; a paid KWD order is sent to the fils', async () => {
    const ping = await deliver(edge, '/webhooks/woocommerce', 'webhook_id=12', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(ping.status).toBe(200);
    expect(ping.queued).toEqual([]);
    const body = wooOrderBody();
    const res = await deliver(edge, '/webhooks/woocommerce', body, wooHeaders(body));
    expect(res.status).toBe(202);
    expect(only(res.queued)).toMatchObject({
      via: 'woocommerce',
      conversion: { conversion_id: '727', value: '12.345', price_currency: 'KWD' },
    });
  });

  it('an order ingest cannot send is answered 200 with the reasons, not retried for hours', async () => {
    const body = shopifyOrderBody({
      processed_at: '2020-01-01T00:00:00Z',
      created_at: '2020-01-01T00:00:00Z',
    });
    const res = await deliver(edge, '/webhooks/shopify', body, shopifyHeaders(body));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      accepted: 0,
      refused: [expect.objectContaining({ parameter: 'conversion_time' })],
    });
    expect(res.queued).toEqual([]);
  });
});

describe('webhook routes: anything unsigned', () => {
  const SEED = Number(env.FC_SEED ?? Date.now() % 2 ** 31);

  it('random bodies and signature headers are 401 in X shape, never queued, never a 5xx', async () => {
    const headerNames = {
      '/webhooks/shopify': 'x-shopify-hmac-sha256',
      '/webhooks/stripe': 'stripe-signature',
      '/webhooks/woocommerce': 'x-wc-webhook-signature',
    } as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...(Object.keys(headerNames) as (keyof typeof headerNames)[])),
        fc.uint8Array({ maxLength: 2048 }),
        fc.string({ maxLength: 200 }).filter((h) => /^[\x20-\x7e]*$/.test(h)),
        async (path, bytes, signature) => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (signature !== '') headers[headerNames[path]] = signature;
          const res = await deliver(edge, path, new Uint8Array(bytes), headers);
          // The only unsigned body with a 2xx: WooCommerce's ping, which carries nothing.
          if (res.status === 200) expect(path).toBe('/webhooks/woocommerce');
          else expect(res.status).toBe(401);
          expect(isXErrorBody(res.json) || res.status === 200).toBe(true);
          expect(res.queued).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
