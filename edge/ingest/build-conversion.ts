/**
 * @module
 * Turns one event object of checked shape into the conversion X takes: the
 * event name becomes its Single Event Tag id, identifiers are judged and
 * hashed (./identifiers.ts), amounts are written exactly in their currency's
 * decimals, the conversion time is held to the configured window, and free
 * text holding an email or phone number is left out (./free-text.ts).
 *
 * Pure: no request, no I/O beyond WebCrypto hashing, so the same rules serve
 * `POST /events` and tools that check rows before sending them.
 */
import type { EdgeConfig } from '../config.ts';
import { parameterError, type XErrorItem } from '../errors.ts';
import type { XContent, XConversion } from '../x-api/conversion.ts';
import {
  type Amount,
  DEFAULT_CURRENCY,
  formatDecimal,
  fractionDigits,
  minorUnits,
  roundFloatNoise,
} from './decimal-amount.ts';
import type { EventInput, LineItem } from './event-schema.ts';
import { dropPersonalData } from './free-text.ts';
import { collectIdentifiers, type RequestSignals } from './identifiers.ts';
import { type IngestWarning, parameterName } from './ingest-warning.ts';

/** The configuration the rules need (a subset of `EdgeConfig`, easy to build outside the edge). */
export type EventRules = Pick<
  EdgeConfig,
  'events' | 'phoneDefaultCountry' | 'maxConversionAgeDays'
>;

/** Clock skew tolerated for a server call's `conversion_time` in the future. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface BuildOptions {
  rules: EventRules;
  /** Current time in ms: the default `conversion_time`, and what its age is measured from. */
  now: number;
  /** Signals from the request (browser calls); server calls put these in the body. */
  signals?: RequestSignals;
  /** Prefix of parameters named in errors and warnings, e.g. `events[3]` in a batch. */
  prefix?: string;
}

/** A built conversion and what was left out of it, or why there is none. */
export type BuildOutcome =
  | { ok: true; conversion: XConversion; warnings: IngestWarning[] }
  | { ok: false; errors: XErrorItem[] };

function checkTime(ms: number, options: BuildOptions, parameter: string): XErrorItem | undefined {
  if (ms > options.now + MAX_FUTURE_SKEW_MS) {
    return parameterError(parameter, 'conversion_time must not be in the future');
  }
  const days = options.rules.maxConversionAgeDays;
  if (ms < options.now - days * DAY_MS) {
    return parameterError(
      parameter,
      `conversion_time must be within the last ${days} days (MAX_CONVERSION_AGE_DAYS)`,
    );
  }
  return undefined;
}

/**
 * The amount in its currency's decimals, or an error when it has more than
 * the currency allows; float noise is rounded instead, with a warning.
 */
function exactAmount(
  amount: Amount,
  currency: string,
  parameter: string,
  report: { errors: XErrorItem[]; warnings: IngestWarning[] },
): string | undefined {
  const digits = minorUnits(currency);
  const name = parameter.split('.').at(-1);
  if (fractionDigits(amount.decimal) <= digits) return formatDecimal(amount.decimal, digits);
  if (amount.floatNoise) {
    report.warnings.push({
      code: 'VALUE_ROUNDED',
      parameter,
      message: `${name} carried binary floating-point noise (more than 15 significant digits); rounded to the ${digits} decimals of ${currency}`,
    });
    return formatDecimal(roundFloatNoise(amount, digits), digits);
  }
  report.errors.push(
    parameterError(
      parameter,
      `${name} has more decimal places than ${currency} allows (${digits}); send the exact amount in ${currency}`,
    ),
  );
  return undefined;
}

function contentFor(
  content: LineItem,
  currency: string,
  parameter: string,
  report: { errors: XErrorItem[]; warnings: IngestWarning[] },
): XContent {
  const { content_price, ...rest } = content;
  if (content_price === undefined) return rest;
  const price = exactAmount(content_price, currency, `${parameter}.content_price`, report);
  return price === undefined ? rest : { ...rest, content_price: Number(price) };
}

/**
 * Builds X's conversion from an event object of checked shape (`parseEvent`).
 * Never throws for bad input: errors come back in X's shape.
 *
 * @example
 * const outcome = await buildConversion(
 *   { event: 'purchase', email: 'Test@Twitter.com', value: parseAmount(20) },
 *   { rules: config, now: Date.now(), signals: { cookieTwclid: '26al4tn7x9n5o40h6sd2ds3kbt' } },
 * );
 * // outcome.conversion: { event_id: 'o9d2g', value: '20.00', identifiers: [{ twclid }, { hashed_email }], ... }
 */
export async function buildConversion(
  raw: EventInput,
  options: BuildOptions,
): Promise<BuildOutcome> {
  const prefix = options.prefix ?? '';
  const errors: XErrorItem[] = [];
  const { rules } = options;
  const eventId = Object.hasOwn(rules.events, raw.event) ? rules.events[raw.event] : undefined;
  if (eventId === undefined) {
    // The name is not quoted back: a misused field could put an email in it.
    errors.push(
      parameterError(
        parameterName(prefix, 'event'),
        `Unknown event: configured events are ${Object.keys(rules.events).join(', ')}`,
      ),
    );
  }
  if (raw.conversion_time !== undefined) {
    const error = checkTime(raw.conversion_time, options, parameterName(prefix, 'conversion_time'));
    if (error) errors.push(error);
  }
  const { input, warnings } = dropPersonalData(raw, rules.phoneDefaultCountry, prefix);
  const report = { errors, warnings };
  const currency = input.currency ?? DEFAULT_CURRENCY;
  const value =
    input.value === undefined
      ? undefined
      : exactAmount(input.value, currency, parameterName(prefix, 'value'), report);
  const contents = input.contents?.map((content, index) =>
    contentFor(content, currency, parameterName(prefix, `contents[${index}]`), report),
  );
  const identified = await collectIdentifiers(input, {
    phoneDefaultCountry: rules.phoneDefaultCountry,
    ...(options.signals ? { signals: options.signals } : {}),
    prefix,
  });
  errors.push(...identified.errors);
  if (errors.length > 0 || eventId === undefined) return { ok: false, errors };

  const conversion: XConversion = {
    // toISOString is exactly X's `yyyy-MM-ddTHH:mm:ss.SSSZ` (always UTC, with ms).
    conversion_time: new Date(input.conversion_time ?? options.now).toISOString(),
    event_id: eventId,
    identifiers: identified.identifiers,
    conversion_id: input.conversion_id ?? crypto.randomUUID(),
  };
  if (value !== undefined) conversion.value = value;
  if (input.currency !== undefined) conversion.price_currency = input.currency;
  if (input.number_items !== undefined) conversion.number_items = input.number_items;
  if (input.description !== undefined) conversion.description = input.description;
  if (contents !== undefined && contents.length > 0) conversion.contents = contents;
  return { ok: true, conversion, warnings: [...identified.warnings, ...warnings] };
}
