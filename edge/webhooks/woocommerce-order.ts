/**
 * @module
 * A WooCommerce order webhook (`order.created`, `order.updated`) as a
 * purchase once the order is paid for: status `processing` (paid, to ship)
 * or `completed`. An order is updated many times; every update of a paid
 * order maps to the same `conversion_id` (the order id), so delivery sends
 * it once. Other statuses (`pending`, `on-hold`, `failed`, ...) wait for a
 * later update; `cancelled` and `refunded` cannot be taken back at X.
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

const PURCHASE_TOPICS = new Set(['order.created', 'order.updated']);
const PAID_STATUSES = new Set(['processing', 'completed']);
const RETRACTED_STATUSES = new Set(['cancelled', 'refunded']);
/** Order meta keys the documented snippet (or a plugin) stores the click id under. */
const CLICK_ID_KEYS = ['_twclid', 'twclid'];

/** The body WooCommerce sends when a webhook is saved: `webhook_id=<id>`, unsigned. */
export const WOOCOMMERCE_PING = /^webhook_id=\d{1,20}$/;

function clickId(meta: unknown): string | undefined {
  const entries = Array.isArray(meta) ? meta.filter(isObject) : [];
  for (const key of CLICK_ID_KEYS) {
    const found = entries.find((entry) => entry.key === key);
    const value = found ? clickIdOf(found.value) : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}

/** WooCommerce's `*_gmt` dates are UTC written without a zone. */
function gmtTime(value: unknown): string | undefined {
  const text = firstText(value);
  if (text === undefined) return undefined;
  return /(?:Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`;
}

/**
 * The verdict on one WooCommerce delivery: `topic` from `X-WC-Webhook-Topic`.
 *
 * @throws WebhookShapeError when a purchase topic's body is not an order.
 * @example
 * woocommerceVerdict('order.updated', { id: 727, status: 'processing', ... }, 'purchase');
 */
export function woocommerceVerdict(
  topic: string | undefined,
  order: unknown,
  event: string,
): WebhookVerdict {
  if (topic === undefined || !PURCHASE_TOPICS.has(topic)) {
    return ignored(
      'not a purchase topic (order.created, order.updated): acknowledged, nothing sent',
    );
  }
  if (!isObject(order)) throw new WebhookShapeError('', 'the body is not a WooCommerce order');
  const conversionId = orderIdText(order.id);
  if (conversionId === undefined) {
    throw new WebhookShapeError('id', 'the order has no readable id');
  }
  const status = firstText(order.status) ?? '';
  if (RETRACTED_STATUSES.has(status)) return ignored(CANNOT_RETRACT);
  if (!PAID_STATUSES.has(status)) {
    return ignored('order not paid yet (processing or completed): sent when it is');
  }
  const billing = objectAt(order.billing);
  const currency = firstText(order.currency);
  return {
    kind: 'conversion',
    event: compactEvent({
      event,
      conversion_id: conversionId,
      conversion_time: gmtTime(order.date_paid_gmt) ?? gmtTime(order.date_created_gmt),
      twclid: clickId(order.meta_data),
      email: firstText(billing.email),
      phone: firstText(billing.phone),
      ip_address: firstText(order.customer_ip_address),
      user_agent: firstText(order.customer_user_agent),
      value: firstText(order.total),
      currency,
      ...contentsOf(order.line_items, currency, 'name'),
    }),
  };
}
