/**
 * @module
 * The shape of one conversion as X's Conversion API (v12) takes it. Everything
 * in here is already safe to queue and send: emails and phones are SHA-256 hex.
 */
import type { LineItem } from '../ingest/event-schema.ts';

/**
 * One identifier per object, except that `ip_address` and `user_agent` travel
 * together when both are known. Either may come without the other, but
 * neither counts alone: X needs a second identifier beside them.
 */
export type XIdentifier =
  | { twclid: string }
  | { hashed_email: string }
  | { hashed_phone_number: string }
  | { ip_address: string; user_agent?: string }
  | { user_agent: string };

/**
 * A line of `contents`: the validated line item, its price a JSON number
 * printed from the exact decimal (at most 13 significant digits, so exact).
 */
export type XContent = Omit<LineItem, 'content_price'> & { content_price?: number };

export interface XConversion {
  /** `yyyy-MM-ddTHH:mm:ss.SSSZ`, UTC with milliseconds. */
  conversion_time: string;
  /** Single Event Tag id, e.g. `o9d2g`. */
  event_id: string;
  identifiers: XIdentifier[];
  /** Dedup key shared with the X pixel; always set by the edge. */
  conversion_id: string;
  /** Decimal string, e.g. `"20.00"`. */
  value?: string;
  /** ISO 4217, uppercase. */
  price_currency?: string;
  number_items?: number;
  description?: string;
  contents?: XContent[];
}

export { MAX_CONVERSIONS_PER_REQUEST } from './limits.ts';

/** Body of `POST /{version}/measurement/conversions/{pixel_id}` (at most `MAX_CONVERSIONS_PER_REQUEST`). */
export interface XConversionRequestBody {
  conversions: XConversion[];
}
