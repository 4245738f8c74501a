/**
 * @module
 * Email normalization before hashing, as X matches it: trim, then lowercase.
 * X's guide only says "remove leading and trailing spaces"; every major
 * implementation also lowercases, and an address typed `Test@Twitter.com` on
 * one site and `test@twitter.com` on another must hash the same to match.
 */

/** RFC 5321 caps a path at 256 octets including `<>`, so an address at 254. */
const MAX_EMAIL_LENGTH = 254;
/**
 * Deliberately basic: one `@`, no spaces, a dot in the domain. Full RFC 5322
 * parsing would accept addresses no ad platform can match and reject nothing
 * that matters; this catches typos and fields filled with the wrong thing.
 */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
/**
 * Control (Cc), format (Cf: bidi overrides, zero-width spaces) and lone
 * surrogate (Cs) characters: invisible, never part of a real address, and they
 * would make the same address hash differently (or hash U+FFFD).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * The address X should hash, or `undefined` when it is not a usable email.
 *
 * @example
 * normalizeEmail('  Test@Twitter.com '); // 'test@twitter.com'
 * normalizeEmail('not-an-email'); // undefined
 */
export function normalizeEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || INVISIBLE.test(email) || !EMAIL_SHAPE.test(email)) {
    return undefined;
  }
  return email;
}
