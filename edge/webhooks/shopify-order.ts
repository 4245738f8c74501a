/**
 * @module
 * A Shopify order webhook (`orders/create`, `orders/paid`) as the purchase a
 * thank-you page would report: `conversion_id` is the order's numeric id, so
 * the page's browser copy and this server copy are one conversion. Both
 * topics map to the same conversion; the second one is a duplicate that
 * delivery drops.
 *
 * Order ids: the numeric `id` can exceed 2^53 (Shopify's own test payloads
 * use 18 digits), which `JSON.parse` would round; `admin_graphql_api_id`
 * (`gid://shopify/Order/<id>`) carries the same id as a string, so it wins.
 */
import {
  CANNOT_RETRACT,
  clickIdOf,
  compactEvent,
  contentsOf,
  firstText,
  ignored,
  isObject,
  objectAt,
  orderIdText,
  WebhookShapeError,
  type WebhookVerdict,
} from './webhook-event.ts';

/** Topics that carry a new purchase. */
const PURCHASE_TOPICS = new Set(['orders/create', 'orders/paid']);
/** Topics that would take a purchase back, which X cannot do. */
const RETRACTING_TOPICS = new Set(['orders/cancelled', 'refunds/create']);

const ORDER_GID = /^gid:\/\/shopify\/Order\/(\d{1,20})$/;

function orderId(order: Record<string, unknown>): string {
  const gid = typeof order.admin_graphql_api_id === 'string' ? order.admin_graphql_api_id : '';
  const id = ORDER_GID.exec(gid)?.[1] ?? orderIdText(order.id);
  if (id === undefined) throw new WebhookShapeError('id', 'the order has no readable id');
  return id;
}

/** `note_attributes` (the cart's attributes) entry named `twclid`, then the landing page's query. */
function clickId(order: Record<string, unknown>): string | undefined {
  const attributes = Array.isArray(order.note_attributes) ? order.note_attributes : [];
  for (const attribute of attributes) {
    if (isObject(attribute) && attribute.name === 'twclid') {
      const value = clickIdOf(attribute.value);
      if (value !== undefined) return value;
    }
  }
  const landing = firstText(order.landing_site);
  if (landing === undefined) return undefined;
  try {
    // `landing_site` is a path and query; any base makes it a URL.
    return firstText(new URL(landing, 'https://shop.invalid').searchParams.get('twclid'));
  } catch {
    return undefined;
  }
}

/**
 * The verdict on one Shopify delivery: `topic` from `X-Shopify-Topic`,
 * `order` the parsed body, `event` the `X_EVENTS` name to send it as.
 *
 * @throws WebhookShapeError when a purchase topic's body is not an order.
 * @example
 * shopifyVerdict('orders/paid', order, 'purchase');
 * // { kind: 'conversion', event: { event: 'purchase', conversion_id: '820982911946154508', ... } }
 */
export function shopifyVerdict(
  topic: string | undefined,
  order: unknown,
  event: string,
): WebhookVerdict {
  if (topic !== undefined && RETRACTING_TOPICS.has(topic)) return ignored(CANNOT_RETRACT);
  if (topic === undefined || !PURCHASE_TOPICS.has(topic)) {
    return ignored('not a purchase topic (orders/create, orders/paid): acknowledged, nothing sent');
  }
  if (!isObject(order)) throw new WebhookShapeError('', 'the body is not a Shopify order');
  const conversionId = orderId(order);
  if (order.test === true) {
    return { kind: 'skipped', reason: 'test_order', conversionId };
  }
  const customer = objectAt(order.customer);
  const billing = objectAt(order.billing_address);
  const client = objectAt(order.client_details);
  const currency = firstText(order.currency);
  return {
    kind: 'conversion',
    event: compactEvent({
      event,
      conversion_id: conversionId,
      conversion_time: firstText(order.processed_at, order.created_at),
      twclid: clickId(order),
      email: firstText(order.email, order.contact_email, customer.email),
      phone: firstText(order.phone, billing.phone, customer.phone),
      ip_address: firstText(client.browser_ip, order.browser_ip),
      user_agent: firstText(client.user_agent),
      value: firstText(order.total_price),
      currency,
      ...contentsOf(order.line_items, currency, 'title'),
    }),
  };
}
