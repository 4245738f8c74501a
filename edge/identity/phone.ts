/**
 * @module
 * Phone normalization before hashing: E.164 with the leading `+`, which is what
 * X hashes (Meta hashes without the `+`; X with it).
 *
 * Uses `libphonenumber-js/min`: its metadata (about 80 KB) knows every
 * country's calling code, national prefixes and number lengths, which is all
 * that turning a national number into E.164 and rejecting junk needs. The `max`
 * build (about twice the size) only adds per-type patterns (mobile vs fixed
 * line), which do not matter for matching and would cost Worker startup time.
 *
 * A number is kept when its length is possible for its country
 * (`isPossible`), not only when it falls in an allocated range (`isValid`):
 * X hashes what it is sent and never checks ranges (its own example number,
 * `+11234567890`, is not in any US range), and a range table out of date by a
 * month would throw real customers' numbers away.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** Longer input is not a phone number; also bounds the parser's work. */
export const MAX_PHONE_INPUT_LENGTH = 40;

/**
 * The number in E.164 (`+14155552671`), or `undefined` when its length is not
 * possible for its country. Numbers written without `+` (or an international prefix such as
 * `00`) are read as national numbers of `defaultCountry`.
 *
 * @example
 * normalizePhone('(415) 555-2671', 'US'); // '+14155552671'
 * normalizePhone('+44 20 7946 0958', 'US'); // '+442079460958'
 * normalizePhone('+1 (123) 456-7890', 'US'); // '+11234567890'
 * normalizePhone('call me', 'US'); // undefined
 */
export function normalizePhone(raw: string, defaultCountry: string): string | undefined {
  if (raw.length > MAX_PHONE_INPUT_LENGTH) return undefined;
  // The country comes from config, validated as two letters; the parser
  // returns undefined (never throws) for a code it does not know.
  const parsed = parsePhoneNumberFromString(raw, {
    defaultCountry: defaultCountry as CountryCode,
  });
  if (!parsed?.isPossible()) return undefined;
  return parsed.number;
}
