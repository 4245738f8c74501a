/**
 * @module
 * What a `POST /events` body may contain, as valibot schemas with a cap on
 * every field: lengths, ranges, counts and nesting are all bounded, so no
 * input can make the edge do unbounded work or send X something it rejects.
 *
 * Unknown fields are refused by name (a typo like `emial` should fail loudly,
 * not silently drop the identifier). `__proto__` and `constructor` keys are
 * just unknown fields: `JSON.parse` makes them own properties, and the parsed
 * output is a fresh object, so no prototype is ever touched.
 *
 * Error messages never echo a value (it could be an email or phone): the
 * field travels in `parameter`, the message says what was expected.
 */
import * as v from 'valibot';
import { parameterError, type XErrorItem } from '../errors.ts';
import { MAX_CONVERSIONS_PER_REQUEST } from '../x-api/limits.ts';
import { type Amount, parseAmount } from './decimal-amount.ts';

/** X's per-request maximum, and so the most one server call may carry. */
export const MAX_EVENTS_PER_CALL = MAX_CONVERSIONS_PER_REQUEST;
/** A cart of 50 lines is plenty for attribution; bounds hashing and request size. */
export const MAX_CONTENTS = 50;
/** Largest accepted `value`/`content_price`: far above any real order. */
export const MAX_AMOUNT = 1_000_000_000;

/** Fields only a server call (with the bearer key) may send. */
export const SERVER_ONLY_FIELDS = [
  'conversion_time',
  'ip_address',
  'user_agent',
  'hashed_email',
  'hashed_phone_number',
  'consent',
] as const;

const WHOLE = /^\d{1,7}$/;
/** A conversion id as ingest accepts it; the operator routes look ids up by the same rule. */
export const CONVERSION_ID = /^[A-Za-z0-9_.:@#/+-]{1,64}$/;
export const CONVERSION_ID_RULE = 'conversion_id must be 1-64 letters, digits or _ . : @ # / + -';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * ISO 4217 codes. workerd ships V8 with ICU, so `Intl.supportedValuesOf` is
 * there (asserted by the identity tests); the fallback of bare shape only
 * guards older runtimes.
 */
const CURRENCIES: ReadonlySet<string> | undefined =
  typeof Intl.supportedValuesOf === 'function'
    ? new Set(Intl.supportedValuesOf('currency'))
    : undefined;

/** A lone UTF-16 surrogate: not well-formed Unicode, and not something to forward to X. */
const LONE_SURROGATE = /\p{Cs}/u;

/** A bounded, non-empty, well-formed string. */
export function text(name: string, max: number) {
  return v.pipe(
    v.string(`${name} must be a string`),
    v.minLength(1, `${name} must not be empty`),
    v.maxLength(max, `${name} must be at most ${max} characters`),
    v.check((s: string) => !LONE_SURROGATE.test(s), `${name} must be well-formed Unicode`),
  );
}

/**
 * `strictObject` alone takes an array for an object (`[]` would pass as an
 * empty item); piping through this first refuses anything but a JSON object.
 */
const jsonObject = v.custom<Record<string, unknown>>(
  (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
  'Expected a JSON object',
);

/**
 * An array of `item` whose length is judged before any item is. Validating
 * the items first would let one 16 KB beacon of ~8,000 one-character items
 * cost several milliseconds of CPU (most of the free plan's 10 ms) only to be
 * refused for its length. valibot's pipe stops before the item schema once a
 * length check has failed.
 */
function cappedArray<TItem extends v.GenericSchema>(
  item: TItem,
  {
    message,
    min = 0,
    tooFew = message,
    max,
    tooMany,
  }: { message: string; min?: number; tooFew?: string; max: number; tooMany: string },
) {
  return v.pipe(
    v.array(v.unknown(), message),
    v.minLength(min, tooFew),
    v.maxLength(max, tooMany),
    v.array(item, message),
  );
}

/**
 * A non-negative amount, number or numeric string (forms send strings), as
 * an exact decimal (./decimal-amount.ts); its currency's decimals are
 * checked when the conversion is built.
 */
function amount(name: string) {
  const message = `${name} must be a number or a numeric string such as "20.00"`;
  return v.pipe(
    v.union([v.pipe(v.number(), v.finite(message)), v.string()], message),
    v.check((n) => typeof n !== 'number' || n >= 0, `${name} must not be negative`),
    v.check(
      (n) => typeof n !== 'number' || n <= MAX_AMOUNT,
      `${name} must be at most ${MAX_AMOUNT}`,
    ),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const amount = parseAmount(dataset.value);
      if (amount === undefined) {
        addIssue({ message });
        return NEVER;
      }
      if (Number(amount.decimal) > MAX_AMOUNT) {
        addIssue({ message: `${name} must be at most ${MAX_AMOUNT}` });
        return NEVER;
      }
      return amount as Amount;
    }),
  );
}

/**
 * Identifier fields are judged one by one after the shape of the event
 * (./identifiers.ts): an unusable one is dropped with a warning rather than
 * costing the whole conversion.
 */
const identifierField = v.optional(v.unknown());

/** A whole count from 1, number or digit string (forms send strings). */
function count(name: string, max: number) {
  const message = `${name} must be a whole number`;
  return v.pipe(
    v.union([v.number(), v.pipe(v.string(), v.regex(WHOLE, message))], message),
    v.transform(Number),
    v.integer(message),
    v.minValue(1, `${name} must be at least 1`),
    v.maxValue(max, `${name} must be at most ${max}`),
  );
}

const sha256Hex = (name: string) =>
  v.pipe(
    v.string(`${name} must be a string`),
    v.regex(/^[0-9a-fA-F]{64}$/, `${name} is not a valid SHA-256 hash`),
    v.toLowerCase(),
  );

/**
 * A strict object whose errors name its own fields: valibot writes an
 * error's message where the error arises, before the outer path is known,
 * so each object says for itself which fields it allows.
 */
function fieldsObject<TEntries extends v.ObjectEntries>(entries: TEntries) {
  const allowed = Object.keys(entries).join(', ');
  return v.strictObject(entries, (issue) => {
    const last = issue.path?.at(-1)?.key;
    const key = typeof last === 'string' ? last.slice(0, 64) : undefined;
    if (key === undefined) return 'Expected a JSON object';
    if (issue.expected === 'never') return `Unknown field "${key}"; allowed fields are ${allowed}`;
    return `${key} is required`;
  });
}

const consentState = (name: string) =>
  v.picklist(['granted', 'denied'], `${name} must be "granted" or "denied"`);

/**
 * The person's choice as the site's consent banner recorded it, in Google
 * Consent Mode's terms. `ad_user_data` is consent to send data about them to
 * an ad platform; `ad_storage` concerns the device only, so a server call
 * carries it for completeness and it changes nothing here.
 */
const ConsentSchema = fieldsObject({
  ad_storage: v.optional(consentState('ad_storage')),
  ad_user_data: v.optional(consentState('ad_user_data')),
});

const ContentSchema = fieldsObject({
  content_id: v.optional(text('content_id', 128)),
  content_name: v.optional(text('content_name', 256)),
  content_type: v.optional(text('content_type', 128)),
  content_price: v.optional(amount('content_price')),
  num_items: v.optional(count('num_items', 100_000)),
  content_group_id: v.optional(text('content_group_id', 128)),
});

/** One event object, browser or server fields (the route refuses server-only ones from browsers). */
export const EventSchema = fieldsObject({
  event: text('event', 64),
  email: identifierField,
  phone: identifierField,
  value: v.optional(amount('value')),
  currency: v.optional(
    v.pipe(
      v.string('currency must be a string'),
      v.toUpperCase(),
      v.check(
        (code) => /^[A-Z]{3}$/.test(code) && (CURRENCIES === undefined || CURRENCIES.has(code)),
        'currency must be an ISO 4217 code such as USD',
      ),
    ),
  ),
  number_items: v.optional(count('number_items', 100_000)),
  conversion_id: v.optional(
    v.pipe(
      v.string('conversion_id must be a string'),
      v.regex(CONVERSION_ID, `${CONVERSION_ID_RULE} (use the order id)`),
    ),
  ),
  description: v.optional(text('description', 256)),
  contents: v.optional(
    cappedArray(v.pipe(jsonObject, ContentSchema), {
      message: 'contents must be an array',
      max: MAX_CONTENTS,
      tooMany: `contents must have at most ${MAX_CONTENTS} items`,
    }),
  ),
  twclid: identifierField,
  conversion_time: v.optional(
    v.pipe(
      v.string('conversion_time must be a string'),
      v.regex(
        ISO_TIME,
        'conversion_time must be ISO 8601 with a time zone, e.g. 2022-02-18T01:14:00.603Z',
      ),
      v.transform((iso) => Date.parse(iso)),
      // Epoch ms: how old it may be depends on configuration, judged at build.
      v.check((ms: number) => Number.isFinite(ms), 'conversion_time is not a valid date'),
    ),
  ),
  ip_address: identifierField,
  user_agent: identifierField,
  hashed_email: v.optional(sha256Hex('hashed_email')),
  hashed_phone_number: v.optional(sha256Hex('hashed_phone_number')),
  consent: v.optional(v.pipe(jsonObject, ConsentSchema)),
});

export type EventInput = v.InferOutput<typeof EventSchema>;
/** One line of `contents`, as validated (its price still an exact `Amount`). */
export type LineItem = v.InferOutput<typeof ContentSchema>;

const BatchSchema = fieldsObject({
  events: cappedArray(jsonObject, {
    message: 'events must be an array of event objects',
    min: 1,
    tooFew: 'events must not be empty',
    max: MAX_EVENTS_PER_CALL,
    tooMany: `Conversion count limit is ${MAX_EVENTS_PER_CALL}`,
  }),
});

/** `events[3].contents[0].content_id` from an issue's path, after `prefix`. */
function parameterOf(issue: v.BaseIssue<unknown>, prefix: string): string {
  let parameter = '';
  for (const item of issue.path ?? []) {
    if (typeof item.key === 'number') parameter += `[${item.key}]`;
    else parameter += parameter ? `.${String(item.key)}` : String(item.key);
  }
  return prefix && parameter ? `${prefix}.${parameter}` : prefix || parameter;
}

/**
 * Message for issues the schema above gives no message of its own, built
 * from what was expected only: valibot's default message quotes the input.
 */
function fallbackMessage(issue: v.BaseIssue<unknown>): string {
  return `Invalid value: expected ${issue.expected ?? 'a valid value'}`;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: XErrorItem[] };

/** X lists every error; ten is enough to fix a request and bounds the answer. */
export const MAX_ERRORS = 10;

function validate<T extends v.GenericSchema>(
  schema: T,
  input: unknown,
  prefix = '',
): ValidationResult<v.InferOutput<T>> {
  const result = v.safeParse(schema, input, { message: fallbackMessage });
  if (result.success) return { ok: true, value: result.output };
  return {
    ok: false,
    errors: result.issues
      .slice(0, MAX_ERRORS)
      .map((issue) => parameterError(parameterOf(issue, prefix), issue.message)),
  };
}

/** Whether a JSON body is the batch form `{"events": [...]}`. */
export function isBatch(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    !Array.isArray(body) &&
    Object.hasOwn(body, 'events')
  );
}

/**
 * The event objects of a JSON body: the body itself, or the items of
 * `{"events": [...]}` once the list's own shape (length, objects only) is
 * right. Each event is then judged by `parseEvent`.
 *
 * @example
 * const list = eventObjectsOf({ events: [{ event: 'purchase' }] });
 * if (list.ok) list.value; // [{ event: 'purchase' }]
 */
export function eventObjectsOf(body: unknown): ValidationResult<unknown[]> {
  // valibot takes arrays for objects; say plainly what the body must be.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      errors: [parameterError('', 'Expected a JSON object')],
    };
  }
  if (!isBatch(body)) return { ok: true, value: [body] };
  const batch = validate(BatchSchema, body);
  return batch.ok ? { ok: true, value: batch.value.events } : batch;
}

/**
 * Checks one event object's shape; `prefix` (e.g. `events[3]`) goes before
 * each error's parameter.
 */
export function parseEvent(raw: unknown, prefix = ''): ValidationResult<EventInput> {
  return validate(EventSchema, raw, prefix);
}
