/**
 * @module
 * Turns one validated event object into the conversion X takes: the event
 * name becomes its Single Event Tag id, identifiers are normalized and hashed
 * here (so nothing raw goes further), amounts get X's formats.
 */
import type { EdgeConfig } from '../config.ts';
import { invalidParameter, XApiError } from '../errors.ts';
import { hashEmail, hashPhone } from '../identity/hash-identifiers.ts';
import { normalizeEmail } from '../identity/normalize-email.ts';
import { normalizePhone } from '../identity/phone.ts';
import type { XConversion, XIdentifier } from '../x-api/conversion.ts';
import type { EventInput } from './event-schema.ts';

/** What the request itself tells about the user, beside the body. */
export interface RequestSignals {
  /** Browser calls: the `_twclid` cookie's click id, used when the body has none. */
  cookieTwclid?: string;
  /** Browser calls: `CF-Connecting-IP`. */
  ipAddress?: string;
  /** Browser calls: `User-Agent`. */
  userAgent?: string;
}

export interface BuildOptions {
  config: EdgeConfig;
  /** Signals from the request (browser calls); server calls put these in the body. */
  signals?: RequestSignals;
  /** Prefix of error parameters, e.g. `events[3].` in a batch. */
  parameterPrefix?: string;
  /** Current time in ms, the default `conversion_time`. */
  now?: number;
}

/** X's own wording when a conversion has no identifier it can match on. */
export const NO_IDENTIFIER_MESSAGE = 'At least one user identifier must be provided';

/** Single Event Tag id for a configured event name, or 400 naming the configured ones. */
function eventIdFor(config: EdgeConfig, name: string, parameter: string): string {
  if (Object.hasOwn(config.events, name)) return config.events[name] as string;
  // The name is not quoted back: a misused field could put an email in it.
  throw invalidParameter(
    parameter,
    `Unknown event: configured events are ${Object.keys(config.events).join(', ')}`,
  );
}

async function identifiersFor(
  input: EventInput,
  options: BuildOptions,
  prefix: string,
): Promise<XIdentifier[]> {
  const identifiers: XIdentifier[] = [];
  const twclid = input.twclid ?? options.signals?.cookieTwclid;
  if (twclid) identifiers.push({ twclid });

  if (input.email !== undefined && input.hashed_email !== undefined) {
    throw invalidParameter(`${prefix}hashed_email`, 'Send email or hashed_email, not both');
  }
  if (input.email !== undefined) {
    const email = normalizeEmail(input.email);
    if (!email) throw invalidParameter(`${prefix}email`, 'email is not a valid email address');
    identifiers.push({ hashed_email: await hashEmail(email) });
  } else if (input.hashed_email !== undefined) {
    identifiers.push({ hashed_email: input.hashed_email });
  }

  if (input.phone !== undefined && input.hashed_phone_number !== undefined) {
    throw invalidParameter(
      `${prefix}hashed_phone_number`,
      'Send phone or hashed_phone_number, not both',
    );
  }
  if (input.phone !== undefined) {
    const phone = normalizePhone(input.phone, options.config.phoneDefaultCountry);
    if (!phone) {
      throw invalidParameter(
        `${prefix}phone`,
        `phone is not a valid phone number: use E.164 (+, country code, number), or a national number of ${options.config.phoneDefaultCountry}`,
      );
    }
    identifiers.push({ hashed_phone_number: await hashPhone(phone) });
  } else if (input.hashed_phone_number !== undefined) {
    identifiers.push({ hashed_phone_number: input.hashed_phone_number });
  }

  // X counts IP + user agent only together and never as the only identifier.
  const countable = identifiers.length;
  const ip = input.ip_address ?? options.signals?.ipAddress;
  const userAgent = input.user_agent ?? options.signals?.userAgent;
  if ((input.ip_address === undefined) !== (input.user_agent === undefined)) {
    throw invalidParameter(
      `${prefix}${input.ip_address === undefined ? 'ip_address' : 'user_agent'}`,
      'ip_address and user_agent must be sent together',
    );
  }
  if (ip && userAgent) identifiers.push({ ip_address: ip, user_agent: userAgent });

  if (countable === 0) {
    throw new XApiError(400, {
      code: 'INVALID_PARAMETER',
      message: NO_IDENTIFIER_MESSAGE,
      parameter: '',
    });
  }
  return identifiers;
}

/**
 * Builds X's conversion from a validated event object. Throws `XApiError`
 * (400, X's shape) for an unknown event, an unusable email or phone, or no
 * identifier at all.
 *
 * @example
 * const conversion = await buildConversion(
 *   { event: 'purchase', email: 'Test@Twitter.com', value: 20 },
 *   { config, signals: { cookieTwclid: '26al4tn7x9n5o40h6sd2ds3kbt' } },
 * );
 * // { event_id: 'o9d2g', value: '20.00', identifiers: [{ twclid }, { hashed_email }], ... }
 */
export async function buildConversion(
  input: EventInput,
  options: BuildOptions,
): Promise<XConversion> {
  const prefix = options.parameterPrefix ?? '';
  const eventId = eventIdFor(options.config, input.event, `${prefix}event`);
  const identifiers = await identifiersFor(input, options, prefix);
  const conversion: XConversion = {
    // toISOString is exactly X's `yyyy-MM-ddTHH:mm:ss.SSSZ` (always UTC, with ms).
    conversion_time: input.conversion_time ?? new Date(options.now ?? Date.now()).toISOString(),
    event_id: eventId,
    identifiers,
    conversion_id: input.conversion_id ?? crypto.randomUUID(),
  };
  if (input.value !== undefined) conversion.value = input.value.toFixed(2);
  if (input.currency !== undefined) conversion.price_currency = input.currency;
  if (input.number_items !== undefined) conversion.number_items = input.number_items;
  if (input.description !== undefined) conversion.description = input.description;
  if (input.contents !== undefined && input.contents.length > 0) {
    // Valibot's output holds only the schema's keys, so it goes to X as it is.
    conversion.contents = input.contents;
  }
  return conversion;
}
