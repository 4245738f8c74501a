/**
 * @module
 * The body rules of X's `POST /:version/measurement/conversions/:pixel_id`,
 * as the fake X API applies them. Messages follow X's published wording so
 * tests can assert them exactly. A request is all-or-nothing: every problem
 * of every conversion is listed, and none is accepted if any is wrong.
 */
import type { XErrorItem } from '../../edge/errors.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';

/**
 * An error as the fake answers it. `conversion_index` is the fake's own
 * addition (real X does not say which conversion failed): tests and
 * batchers use it to tell which conversion was bad.
 */
export interface FakeXErrorItem extends XErrorItem {
  conversion_index?: number;
}

export type ConversionCheck =
  | { ok: true; conversions: XConversion[] }
  | { ok: false; status: 400 | 404; errors: FakeXErrorItem[] };

export const MAX_CONVERSIONS_PER_REQUEST = 500;

const CONVERSION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const DECIMAL = /^\d{1,15}(?:\.\d{1,6})?$/;
const CURRENCY = /^[A-Z]{3}$/;
const IDENTIFIER_KEYS = new Set([
  'twclid',
  'hashed_email',
  'hashed_phone_number',
  'ip_address',
  'user_agent',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Quotes a value for an error message the way X does: as given, shortened. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return (text ?? 'undefined').slice(0, 100);
}

function invalid(parameter: string, message: string, index?: number): FakeXErrorItem {
  return {
    code: 'INVALID_PARAMETER',
    message,
    parameter,
    ...(index === undefined ? {} : { conversion_index: index }),
  };
}

/**
 * Checks a parsed request body against X's rules for an account whose Single
 * Event Tags are `eventIds` under pixel `pixelId`.
 *
 * @example
 * const check = checkConversionRequest(body, 'o9d7n', new Set(['o9d2g']));
 * if (!check.ok) return json(check.status, { errors: check.errors });
 */
export function checkConversionRequest(
  body: unknown,
  pixelId: string,
  eventIds: ReadonlySet<string>,
): ConversionCheck {
  if (!isRecord(body) || !Array.isArray(body.conversions)) {
    return {
      ok: false,
      status: 400,
      errors: [invalid('conversions', 'conversions must be an array of conversion objects')],
    };
  }
  const list: unknown[] = body.conversions;
  if (list.length === 0) {
    return {
      ok: false,
      status: 400,
      errors: [invalid('conversions', 'At least one conversion must be provided')],
    };
  }
  if (list.length > MAX_CONVERSIONS_PER_REQUEST) {
    return {
      ok: false,
      status: 400,
      errors: [invalid('conversions', 'Conversion count limit is 500')],
    };
  }
  const errors: FakeXErrorItem[] = [];
  list.forEach((conversion, index) => {
    errors.push(...checkConversion(conversion, index, pixelId, eventIds));
  });
  if (errors.length === 0) return { ok: true, conversions: list as XConversion[] };
  // X answers 404 when an event tag is not the account's (see the setup guide's table).
  const status = errors.some((e) => e.code === 'NOT_FOUND') ? 404 : 400;
  return { ok: false, status, errors };
}

function checkConversion(
  conversion: unknown,
  index: number,
  pixelId: string,
  eventIds: ReadonlySet<string>,
): FakeXErrorItem[] {
  if (!isRecord(conversion)) {
    return [invalid('conversions', 'Each conversion must be an object', index)];
  }
  const errors: FakeXErrorItem[] = [];
  const time = conversion.conversion_time;
  if (typeof time !== 'string' || !CONVERSION_TIME.test(time) || !isRealInstant(time)) {
    errors.push(
      invalid(
        'conversion_time',
        `Expected Time in yyyy-MM-ddTHH:mm:ss.SSSZ, got "${shown(time)}" for conversion_time`,
        index,
      ),
    );
  }
  errors.push(...checkEventId(conversion.event_id, index, pixelId, eventIds));
  errors.push(...checkIdentifiers(conversion.identifiers, index));

  const { value, price_currency, number_items, conversion_id, description, contents } = conversion;
  if (value !== undefined && (typeof value !== 'string' || !DECIMAL.test(value))) {
    errors.push(invalid('value', `value (${shown(value)}) is not a valid decimal`, index));
  }
  if (
    price_currency !== undefined &&
    (typeof price_currency !== 'string' || !CURRENCY.test(price_currency))
  ) {
    errors.push(
      invalid(
        'price_currency',
        `price_currency (${shown(price_currency)}) is not an ISO 4217 currency code`,
        index,
      ),
    );
  }
  if (number_items !== undefined && !isPositiveInteger(number_items)) {
    errors.push(
      invalid(
        'number_items',
        `number_items (${shown(number_items)}) must be an integer greater than 0`,
        index,
      ),
    );
  }
  for (const [name, field] of [
    ['conversion_id', conversion_id],
    ['description', description],
  ] as const) {
    if (field !== undefined && typeof field !== 'string') {
      errors.push(invalid(name, `${name} must be a string`, index));
    }
  }
  if (contents !== undefined) errors.push(...checkContents(contents, index));
  return errors;
}

/** The pattern alone accepts `2022-13-45...`; a real instant must round-trip. */
function isRealInstant(time: string): boolean {
  const ms = Date.parse(time);
  return Number.isFinite(ms) && new Date(ms).toISOString() === time;
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function checkEventId(
  eventId: unknown,
  index: number,
  pixelId: string,
  eventIds: ReadonlySet<string>,
): FakeXErrorItem[] {
  if (typeof eventId !== 'string' || eventId === '') {
    return [invalid('event_id', 'Event ID was not found', index)];
  }
  // X also accepts the long form `tw-<pixel>-<event>`.
  const prefix = `tw-${pixelId}-`;
  const tag = eventId.startsWith(prefix) ? eventId.slice(prefix.length) : eventId;
  if (eventIds.has(tag)) return [];
  return [
    {
      code: 'NOT_FOUND',
      message: `event_id (${shown(eventId)}) does not belong to provided account`,
      parameter: 'event_id',
      conversion_index: index,
    },
  ];
}

function checkIdentifiers(identifiers: unknown, index: number): FakeXErrorItem[] {
  const missing = invalid('', 'At least one user identifier must be provided', index);
  if (!Array.isArray(identifiers)) return [missing];
  const errors: FakeXErrorItem[] = [];
  let strong = 0;
  for (const identifier of identifiers) {
    if (!isRecord(identifier)) {
      errors.push(invalid('identifiers', 'Each identifier must be an object', index));
      continue;
    }
    const keys = Object.keys(identifier);
    const unknown = keys.filter((k) => !IDENTIFIER_KEYS.has(k));
    if (unknown.length > 0) {
      errors.push(
        invalid('identifiers', `Unknown identifier type (${shown(unknown.join(','))})`, index),
      );
      continue;
    }
    const hasIp = 'ip_address' in identifier;
    const hasAgent = 'user_agent' in identifier;
    // One identifier per object; only ip_address and user_agent may travel together.
    if (keys.length > 1 && !(keys.length === 2 && hasIp && hasAgent)) {
      errors.push(
        invalid(
          'identifiers',
          'Each identifier object must hold one identifier (ip_address with user_agent)',
          index,
        ),
      );
      continue;
    }
    // Either may come alone, but neither counts as an identifier by itself
    // (X: "If using IP address or user agent, a second identifier must be sent").
    if (hasIp || hasAgent) {
      for (const key of keys) {
        if (!isNonEmptyString(identifier[key])) {
          errors.push(invalid(key, `${key} must be a non-empty string`, index));
        }
      }
      continue;
    }
    const [key] = keys;
    const value = key === undefined ? undefined : identifier[key];
    if (key === 'twclid') {
      // An empty twclid does not count (X's own example answers "At least one...").
      if (isNonEmptyString(value)) strong += 1;
      else if (typeof value !== 'string')
        errors.push(invalid('twclid', 'twclid must be a string', index));
      continue;
    }
    if (key === 'hashed_email' || key === 'hashed_phone_number') {
      if (typeof value === 'string' && SHA256_HEX.test(value)) strong += 1;
      else errors.push(invalid(key, `${key} (${shown(value)}) is not a valid SHA-256 hash`, index));
    }
  }
  // IP address and user agent never identify alone.
  if (errors.length === 0 && strong === 0) return [missing];
  return errors;
}

function checkContents(contents: unknown, index: number): FakeXErrorItem[] {
  if (!Array.isArray(contents)) {
    return [invalid('contents', 'contents must be an array', index)];
  }
  const errors: FakeXErrorItem[] = [];
  for (const content of contents) {
    if (!isRecord(content)) {
      errors.push(invalid('contents', 'Each content must be an object', index));
      continue;
    }
    for (const name of ['content_id', 'content_name', 'content_type', 'content_group_id']) {
      if (content[name] !== undefined && typeof content[name] !== 'string') {
        errors.push(invalid(name, `${name} must be a string`, index));
      }
    }
    const price = content.content_price;
    if (price !== undefined && (typeof price !== 'number' || !Number.isFinite(price))) {
      errors.push(invalid('content_price', 'content_price must be a number', index));
    }
    if (content.num_items !== undefined && !isPositiveInteger(content.num_items)) {
      errors.push(invalid('num_items', 'num_items must be an integer greater than 0', index));
    }
  }
  return errors;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
