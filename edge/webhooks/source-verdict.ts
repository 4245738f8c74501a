/**
 * @module
 * Which mapping judges a delivery from which shop, and the header that names
 * its topic: shared by the edge's routes and the CLI's `webhook replay`, so a
 * saved payload replayed in Node meets exactly the mapping the edge applies.
 */
import { shopifyVerdict } from './shopify-order.ts';
import { stripeVerdict } from './stripe-checkout.ts';
import type { WebhookSource, WebhookVerdict } from './webhook-event.ts';
import { woocommerceVerdict } from './woocommerce-order.ts';

/** The header carrying each shop's topic (Stripe puts the event type in the body). */
export const TOPIC_HEADERS: Readonly<Record<WebhookSource, string | undefined>> = {
  shopify: 'x-shopify-topic',
  stripe: undefined,
  woocommerce: 'x-wc-webhook-topic',
};

/**
 * The verdict on one parsed delivery from `source`.
 *
 * @throws WebhookShapeError when a purchase's body lacks the fields that make it one.
 * @example
 * sourceVerdict('shopify', order, { topic: 'orders/paid', event: 'purchase' });
 */
export function sourceVerdict(
  source: WebhookSource,
  json: unknown,
  { topic, event }: { topic: string | undefined; event: string },
): WebhookVerdict {
  switch (source) {
    case 'shopify':
      return shopifyVerdict(topic, json, event);
    case 'stripe':
      return stripeVerdict(json, event);
    case 'woocommerce':
      return woocommerceVerdict(topic, json, event);
  }
}
