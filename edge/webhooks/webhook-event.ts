/**
 * @module
 * What a shop's webhook becomes: the event object a server call to
 * `POST /events` would carry, judged afterwards by exactly the same ingest
 * rules (hashing, dropped identifiers, amounts per currency). The mappings
 * (./shopify-order.ts, ./stripe-checkout.ts, ./woocommerce-order.ts) only
 * pick fields; they never hash, round or refuse what ingest judges.
 *
 * Pure and free of Hono and Cloudflare, so the CLI replays saved payloads
 * through the very same mapping in Node.
 */
import { parseTwclidCookie } from '../../common/twclid-cookie.ts';
import type { SkipReason } from '../delivery/event-tallies.ts';
import { fractionDigits, minorUnits, parseDecimal } from '../ingest/decimal-amount.ts';
import { MAX_CONTENTS } from '../ingest/event-schema.ts';

/** The shops that can send signed webhooks, as they appear in routes and `/status`. */
export const WEBHOOK_SOURCES = ['shopify', 'stripe', 'woocommerce'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** One line of `contents`, in the fields of `POST /events`. */
export interface WebhookLine {
  content_id?: string;
  content_name?: string;
  content_price?: string;
  num_items?: number;
}

/** A server call's event object, as a webhook fills it. */
export interface WebhookEvent {
  event: string;
  conversion_id: string;
  conversion_time?: string;
  twclid?: string;
  email?: string;
  phone?: string;
  ip_address?: string;
  user_agent?: string;
  value?: string;
  currency?: string;
  number_items?: number;
  contents?: WebhookLine[];
}

/**
 * What to do with one delivery:
 * - `conversion`: send it (through ingest, as a server copy);
 * - `skipped`: a purchase deliberately not sent (a shop's test order),
 *   acknowledged and counted;
 * - `ignored`: not a purchase (another topic, a refund, a payment still
 *   pending), acknowledged so the platform does not retry it.
 * `reason` is for the answer and the log: never a value from the payload.
 */
export type WebhookVerdict =
  | { kind: 'conversion'; event: WebhookEvent }
  | { kind: 'skipped'; reason: SkipReason; conversionId: string }
  | { kind: 'ignored'; reason: string };

/** The answer for topics and event types that are not purchases. */
export function ignored(reason: string): WebhookVerdict {
  return { kind: 'ignored', reason };
}

/** Why refunds and cancellations are acknowledged without sending anything. */
export const CANNOT_RETRACT = 'X cannot retract or adjust a conversion: acknowledged, nothing sent';

/** The signed payload does not have the shape of the platform's order or event. */
export class WebhookShapeError extends Error {
  override readonly name = 'WebhookShapeError';
  /** The field that is missing or unreadable (`''` for the body itself). */
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(message);
    this.parameter = parameter;
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an object, or an empty one: optional parts of a payload. */
export function objectAt(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

/** The first non-empty string among `values` (after trimming), if any. */
export function firstText(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** An order id (number or digit string) as the decimal string a thank-you page would send. */
export function orderIdText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value;
  return undefined;
}

/**
 * A click id as a shop stored it: bare, or the whole `_twclid` cookie value
 * (the X pixel's URI-encoded JSON), which a snippet may have copied as is.
 * Anything else goes on unread, so ingest drops it with a warning.
 */
export function clickIdOf(value: unknown): string | undefined {
  const text = firstText(value);
  if (text === undefined) return undefined;
  return parseTwclidCookie(text)?.twclid ?? text;
}

/**
 * A line price, only when it is exact in the order's currency: a shop's
 * computed unit price (`6.666666666666667`) would otherwise refuse the
 * whole order, and a line without a price still says what was bought.
 */
export function exactPrice(value: unknown, currency: string | undefined): string | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const decimal = parseDecimal(value);
  if (decimal === undefined) return undefined;
  const digits = minorUnits((currency ?? 'USD').toUpperCase());
  return fractionDigits(decimal) <= digits ? decimal : undefined;
}

/** Whole quantities from 1; anything else is not a line to count. */
function quantityOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= 100_000 ? n : undefined;
}

const MAX_CONTENT_ID = 128;
const MAX_CONTENT_NAME = 256;

/**
 * `contents` and `number_items` from an order's `line_items`, as Shopify and
 * WooCommerce both write them (`sku`, else `product_id`; `quantity`;
 * `price`), the line's name under `nameField` (`title`, `name`). At most
 * `MAX_CONTENTS` lines (X's attribution needs no more); ids and names only
 * when they fit the event fields, so an odd line never costs the order its
 * conversion.
 */
export function contentsOf(
  lineItems: unknown,
  currency: string | undefined,
  nameField: string,
): Pick<WebhookEvent, 'contents' | 'number_items'> {
  const lines = Array.isArray(lineItems) ? lineItems.filter(isObject) : [];
  const contents: WebhookLine[] = [];
  let items = 0;
  for (const line of lines) {
    const quantity = quantityOf(line.quantity);
    if (quantity === undefined) continue;
    items += quantity;
    if (contents.length >= MAX_CONTENTS) continue;
    const content: WebhookLine = { num_items: quantity };
    const id = firstText(line.sku) ?? orderIdText(line.product_id);
    if (id !== undefined && id.length <= MAX_CONTENT_ID) content.content_id = id;
    const name = firstText(line[nameField]);
    if (name !== undefined && name.length <= MAX_CONTENT_NAME) content.content_name = name;
    const price = exactPrice(line.price, currency);
    if (price !== undefined) content.content_price = price;
    contents.push(content);
  }
  if (contents.length === 0) return {};
  return { contents, number_items: Math.min(items, 100_000) };
}

/** Drops the fields a mapping left undefined, so the event object has only what was found. */
export function compactEvent(event: WebhookEvent): WebhookEvent {
  return Object.fromEntries(
    Object.entries(event).filter(([, value]) => value !== undefined),
  ) as unknown as WebhookEvent;
}
