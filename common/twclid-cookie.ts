/**
 * @module
 * The `_twclid` cookie in the X pixel's own form, shared by the browser script
 * and the edge. Pure and dependency-free so it stays tiny in the browser bundle.
 *
 * The X pixel writes URI-encoded JSON, `{"twclid":"...","timestamp":<ms>}`
 * (sometimes with more keys); other tools write the bare click id. Both are read;
 * only the pixel's form is written, so the pixel and this project share one cookie.
 */

/** Name of the first-party cookie (and localStorage key) the X pixel and this project share. */
export const TWCLID_COOKIE = '_twclid';

/**
 * A click id: letters, digits, `_` and `-` (`[\w-]`), 1 to 128 characters.
 *
 * The characters are those X's click ids use (URL-safe, so they survive query
 * strings and cookies without escaping). Observed click ids are about 25-40
 * characters; 128 leaves room for a longer format while keeping a forged value
 * from bloating cookies, queue messages and requests to X.
 */
const TWCLID = /^[\w-]{1,128}$/;

/** What a `_twclid` cookie holds. */
export interface TwclidCookie {
  twclid: string;
  /** When the click id was stored, in ms since the epoch (absent for the bare form). */
  timestamp?: number;
}

/**
 * Whether `value` is a well-formed click id.
 */
export function isValidTwclid(value: unknown): value is string {
  return typeof value === 'string' && TWCLID.test(value);
}

/**
 * Reads a `_twclid` cookie value in either form, URI-encoded or already
 * decoded. Anything malformed gives `undefined`, never an exception: a cookie
 * is input the page's other scripts can write.
 *
 * @example
 * parseTwclidCookie('%7B%22twclid%22%3A%22abc%22%2C%22timestamp%22%3A1700000000000%7D');
 * // { twclid: 'abc', timestamp: 1700000000000 }
 * parseTwclidCookie('abc'); // { twclid: 'abc' }
 */
export function parseTwclidCookie(raw: string | null | undefined): TwclidCookie | undefined {
  if (!raw) return undefined;
  let text = raw.trim();
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  if (!text.startsWith('{')) return isValidTwclid(text) ? { twclid: text } : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { twclid, timestamp } = parsed as { twclid?: unknown; timestamp?: unknown };
  if (!isValidTwclid(twclid)) return undefined;
  return typeof timestamp === 'number' && Number.isFinite(timestamp)
    ? { twclid, timestamp }
    : { twclid };
}

/**
 * The JSON the X pixel keeps in the cookie, before URI encoding.
 */
export function twclidCookieJson(twclid: string, timestampMs: number): string {
  return JSON.stringify({ twclid, timestamp: timestampMs });
}
