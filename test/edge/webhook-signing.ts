/**
 * @module
 * Signs webhook deliveries as the shops do, for the edge tests. Independent
 * of the code under test (edge/webhooks/webhook-signature.ts verifies with
 * WebCrypto): this computes the MACs with `node:crypto`'s `createHmac`
 * (workerd's nodejs_compat), from each shop's documented recipe.
 */
import { createHmac } from 'node:crypto';
import shopifyOrder from '../fixtures/webhooks/shopify-order.json' with { type: 'json' };
import stripeEvent from '../fixtures/webhooks/stripe-checkout-session-completed.json' with {
  type: 'json',
};
import wooOrder from '../fixtures/webhooks/woocommerce-order.json' with { type: 'json' };

export const SHOPIFY_SECRET = 'shopify-signing-secret-0123456789abcdef';
export const SHOPIFY_PREVIOUS_SECRET = 'shopify-old-signing-secret-9876543210';
export const STRIPE_SECRET = 'whsec_test_0123456789abcdefghijklmnopqrstuv';
export const WOOCOMMERCE_SECRET = 'woo-webhook-secret-0123456789abcdef';

/** The secrets as bindings, to pass beside the test env. */
export const WEBHOOK_SECRETS = {
  SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
  SHOPIFY_WEBHOOK_SECRET_PREVIOUS: SHOPIFY_PREVIOUS_SECRET,
  STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
  WOOCOMMERCE_WEBHOOK_SECRET: WOOCOMMERCE_SECRET,
};

/** Base64 HMAC-SHA256 of the body (Shopify, WooCommerce). */
export function base64Signature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

/** Stripe's `t=...,v1=...` header for `body` at `seconds`, one `v1` per secret. */
export function stripeSignature(
  secrets: readonly string[],
  body: string,
  seconds = Math.floor(Date.now() / 1000),
): string {
  const v1 = secrets.map(
    (secret) =>
      `v1=${createHmac('sha256', secret).update(`${seconds}.${body}`, 'utf8').digest('hex')}`,
  );
  return [`t=${seconds}`, ...v1].join(',');
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The saved Shopify order, placed a minute ago, with `changes` on top. */
export function shopifyOrderBody(changes: Record<string, unknown> = {}): string {
  const at = iso(Date.now() - 60_000);
  return JSON.stringify({ ...shopifyOrder, created_at: at, processed_at: at, ...changes });
}

/** The saved Stripe event, created now, with `session` fields and `changes` on top. */
export function stripeEventBody(
  session: Record<string, unknown> = {},
  changes: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    ...stripeEvent,
    created: Math.floor(Date.now() / 1000),
    data: { object: { ...stripeEvent.data.object, ...session } },
    ...changes,
  });
}

/** The saved WooCommerce order, paid a minute ago, with `changes` on top. */
export function wooOrderBody(changes: Record<string, unknown> = {}): string {
  const gmt = iso(Date.now() - 60_000).slice(0, 19);
  return JSON.stringify({ ...wooOrder, date_paid_gmt: gmt, date_created_gmt: gmt, ...changes });
}

/** Request headers for a signed Shopify delivery of `body` on `topic`. */
export function shopifyHeaders(
  body: string,
  topic = 'orders/paid',
  secret = SHOPIFY_SECRET,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-hmac-sha256': base64Signature(secret, body),
    'x-shopify-shop-domain': 'walnut-works.myshopify.com',
    'x-shopify-api-version': '2026-10',
    'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  };
}

export function stripeHeaders(body: string, signature?: string): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'stripe-signature': signature ?? stripeSignature([STRIPE_SECRET], body),
  };
}

export function wooHeaders(
  body: string,
  topic = 'order.updated',
  secret = WOOCOMMERCE_SECRET,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-wc-webhook-topic': topic,
    'x-wc-webhook-resource': 'order',
    'x-wc-webhook-event': topic.split('.')[1] ?? '',
    'x-wc-webhook-signature': base64Signature(secret, body),
    'x-wc-webhook-id': '12',
    'x-wc-webhook-delivery-id': '8f1e6a2b',
    'x-wc-webhook-source': 'https://coffee.example/',
  };
}
