/**
 * @module
 * The identifiers of one conversion, as X takes them: the click id as is,
 * email and phone normalized and SHA-256 hashed here (nothing raw goes
 * further), IP address and user agent in clear.
 *
 * Forgiving, and saying so: an identifier that cannot be used (a typo in an
 * email, a phone of impossible length, a malformed IP) is dropped with an
 * `IDENTIFIER_DROPPED` warning when the conversion still has a click id, an
 * email or a phone: X matches on those, and losing a sale over a typo in an
 * optional field helps no one. Only a conversion left with none of them is
 * refused, naming what was wrong. IP address and user agent add match signal
 * but never stand alone (X: "a second identifier must be sent"); either may
 * accompany any of the others, with or without the other.
 */
import * as v from 'valibot';
import { isValidTwclid } from '../../common/twclid-cookie.ts';
import { parameterError, type XErrorItem } from '../errors.ts';
import { hashEmail, hashPhone } from '../identity/hash-identifiers.ts';
import { normalizeEmail } from '../identity/normalize-email.ts';
import { MAX_PHONE_INPUT_LENGTH, normalizePhone } from '../identity/phone.ts';
import type { XIdentifier } from '../x-api/conversion.ts';
import type { EventInput } from './event-schema.ts';
import { text } from './event-schema.ts';
import { type IngestWarning, parameterName } from './ingest-warning.ts';

/** What the request itself tells about the user, beside the body. */
export interface RequestSignals {
  /** Browser calls: the `_twclid` cookie's click id, used when the body has none usable. */
  cookieTwclid?: string;
  /** Browser calls: `CF-Connecting-IP`. */
  ipAddress?: string;
  /** Browser calls: `User-Agent`. */
  userAgent?: string;
}

/** X's own wording when a conversion has no identifier it can match on. */
export const NO_IDENTIFIER_MESSAGE = 'At least one user identifier must be provided';

/** A longer `User-Agent` is not a browser's; it is left out rather than sent to X. */
export const MAX_USER_AGENT_LENGTH = 512;
const IP_MESSAGE = 'ip_address must be an IPv4 or IPv6 address';
const IP_ADDRESS = v.pipe(v.string(IP_MESSAGE), v.maxLength(45, IP_MESSAGE), v.ip(IP_MESSAGE));
const USER_AGENT = text('user_agent', MAX_USER_AGENT_LENGTH);
const MAX_EMAIL_INPUT_LENGTH = 320;

export interface IdentifierOutcome {
  identifiers: XIdentifier[];
  warnings: IngestWarning[];
  /** Set when nothing usable is left (or the input contradicts itself): answer 400. */
  errors: XErrorItem[];
}

interface Drop {
  field: 'twclid' | 'email' | 'phone' | 'ip_address' | 'user_agent';
  reason: string;
}

/** What is wrong with a value that should be a bounded non-empty string, if anything. */
function stringProblem(field: string, raw: unknown, max: number): string | undefined {
  if (typeof raw !== 'string') return `${field} must be a string`;
  if (raw === '') return `${field} must not be empty`;
  if (raw.length > max) return `${field} must be at most ${max} characters`;
  return undefined;
}

function twclidOf(raw: unknown, drops: Drop[]): string | undefined {
  if (raw === undefined) return undefined;
  if (isValidTwclid(raw)) return raw;
  drops.push({
    field: 'twclid',
    reason:
      typeof raw === 'string'
        ? 'twclid must be 1-128 letters, digits, _ or -'
        : 'twclid must be a string',
  });
  return undefined;
}

function emailOf(raw: unknown, drops: Drop[]): string | undefined {
  if (raw === undefined) return undefined;
  const problem = stringProblem('email', raw, MAX_EMAIL_INPUT_LENGTH);
  const email = problem === undefined ? normalizeEmail(raw as string) : undefined;
  if (email === undefined) {
    drops.push({ field: 'email', reason: problem ?? 'email is not a valid email address' });
  }
  return email;
}

function phoneOf(raw: unknown, defaultCountry: string, drops: Drop[]): string | undefined {
  if (raw === undefined) return undefined;
  const problem = stringProblem('phone', raw, MAX_PHONE_INPUT_LENGTH);
  const phone = problem === undefined ? normalizePhone(raw as string, defaultCountry) : undefined;
  if (phone === undefined) {
    drops.push({
      field: 'phone',
      reason:
        problem ??
        `phone is not a valid phone number: use E.164 (+, country code, number), or a national number of ${defaultCountry}`,
    });
  }
  return phone;
}

/** `raw` when it passes `schema`; else a drop with the schema's own message. */
function checked<T extends v.GenericSchema>(
  schema: T,
  field: Drop['field'],
  raw: unknown,
  drops: Drop[],
): v.InferOutput<T> | undefined {
  if (raw === undefined) return undefined;
  const result = v.safeParse(schema, raw, { abortEarly: true });
  if (result.success) return result.output;
  drops.push({ field, reason: result.issues[0].message });
  return undefined;
}

/**
 * Judges and hashes the identifiers of one validated event. `prefix` (e.g.
 * `events[3]`) goes before every parameter named.
 *
 * @example
 * const { identifiers, warnings } = await collectIdentifiers(
 *   { event: 'purchase', twclid: '26al4tn7x9n5o40h6sd2ds3kbt', phone: 'n/a' },
 *   { phoneDefaultCountry: 'US' },
 * );
 * // identifiers: [{ twclid }]; warnings: [{ code: 'IDENTIFIER_DROPPED', parameter: 'phone', ... }]
 */
export async function collectIdentifiers(
  input: EventInput,
  options: { phoneDefaultCountry: string; signals?: RequestSignals; prefix?: string },
): Promise<IdentifierOutcome> {
  const prefix = options.prefix ?? '';
  const signals = options.signals ?? {};
  const contradiction = (field: string, message: string): IdentifierOutcome => ({
    identifiers: [],
    warnings: [],
    errors: [parameterError(parameterName(prefix, field), message)],
  });
  if (input.email !== undefined && input.hashed_email !== undefined) {
    return contradiction('hashed_email', 'Send email or hashed_email, not both');
  }
  if (input.phone !== undefined && input.hashed_phone_number !== undefined) {
    return contradiction('hashed_phone_number', 'Send phone or hashed_phone_number, not both');
  }

  const drops: Drop[] = [];
  const identifiers: XIdentifier[] = [];
  const twclid = twclidOf(input.twclid, drops) ?? signals.cookieTwclid;
  if (twclid) identifiers.push({ twclid });
  const email = emailOf(input.email, drops);
  if (email !== undefined) identifiers.push({ hashed_email: await hashEmail(email) });
  else if (input.hashed_email !== undefined) identifiers.push({ hashed_email: input.hashed_email });
  const phone = phoneOf(input.phone, options.phoneDefaultCountry, drops);
  if (phone !== undefined) identifiers.push({ hashed_phone_number: await hashPhone(phone) });
  else if (input.hashed_phone_number !== undefined) {
    identifiers.push({ hashed_phone_number: input.hashed_phone_number });
  }
  const matchable = identifiers.length;

  const ip = checked(IP_ADDRESS, 'ip_address', input.ip_address, drops) ?? signals.ipAddress;
  const userAgent = checked(USER_AGENT, 'user_agent', input.user_agent, drops) ?? signals.userAgent;
  // One object for the pair, as X's examples send them; either alone is allowed too.
  if (ip && userAgent) identifiers.push({ ip_address: ip, user_agent: userAgent });
  else if (ip) identifiers.push({ ip_address: ip });
  else if (userAgent) identifiers.push({ user_agent: userAgent });

  if (matchable === 0) {
    const matchDrops = drops.filter((d) => d.field !== 'ip_address' && d.field !== 'user_agent');
    const errors: XErrorItem[] = matchDrops.map((d) =>
      parameterError(parameterName(prefix, d.field), d.reason),
    );
    if (errors.length === 0) {
      errors.push(parameterError(prefix, NO_IDENTIFIER_MESSAGE));
    }
    return { identifiers: [], warnings: [], errors };
  }
  const warnings = drops.map(
    (d): IngestWarning => ({
      code: 'IDENTIFIER_DROPPED',
      parameter: parameterName(prefix, d.field),
      message: `${d.reason}; left out, the conversion was accepted with its other identifiers`,
    }),
  );
  return { identifiers, warnings, errors: [] };
}
