/**
 * @module
 * SHA-256 of normalized identifiers, with WebCrypto (`crypto.subtle`), as X
 * wants them: lowercase hex, no salt. Inputs must already be normalized
 * (./normalize-email.ts, ./phone.ts): hashing is the last step, so the raw
 * value never leaves the edge.
 */
import { toHex } from '../byte-text.ts';

const encoder = new TextEncoder();

/**
 * Lowercase hex SHA-256 of the UTF-8 bytes of `text`.
 *
 * @example
 * await sha256Hex('test@twitter.com');
 * // 'd360d510a224510f373931ce2d6215a799f5a9c1cef221b0149b6b6b50cced62'
 */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

/**
 * `hashed_email` for X, from an address normalized by `normalizeEmail`.
 */
export function hashEmail(normalizedEmail: string): Promise<string> {
  return sha256Hex(normalizedEmail);
}

/**
 * `hashed_phone_number` for X, from E.164 with the `+` (see `normalizePhone`).
 */
export function hashPhone(e164: string): Promise<string> {
  return sha256Hex(e164);
}
