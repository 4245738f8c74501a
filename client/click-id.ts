/**
 * @module
 * The X click id (`twclid`): taken from the landing URL, kept in the first-party
 * cookie `_twclid` in the X pixel's own form plus a localStorage copy, read back
 * from either. Every cookie and storage touch is wrapped: a browser that blocks
 * them simply has no stored click id.
 *
 * The value is the pixel's form: JSON `{"twclid":..,"timestamp":ms}`, URI-encoded in
 * the cookie (see ./cookie.ts). `common/twclid-cookie.ts` was not there when this was written, so the
 * client keeps its own minimal parse/format here.
 */
import { getCookie, removeCookie, setCookie } from './cookie.ts';

/** Cookie name the X pixel uses; also the localStorage key. */
export const CLICK_ID_KEY = '_twclid';

/** Runs a cookie or storage touch; a blocked API yields undefined instead of throwing. */
function attempt<T>(touch: () => T): T | undefined {
  try {
    return touch();
  } catch {}
}

/**
 * A plausible click id: URL-unreserved characters only, so it never needs escaping.
 *
 * @example
 * isValidTwclid('26ixsb5ut5vlhkl0e2g9iyzdqg'); // true
 * isValidTwclid('<script>'); // false
 */
export function isValidTwclid(value: unknown): value is string {
  return typeof value === 'string' && /^[\w.~-]{1,255}$/.test(value);
}

/**
 * The click id in a stored value: the pixel's JSON form (URI-decoded) or bare.
 * A JSON value stamped before `notBefore` (ms) counts as expired.
 *
 * @example
 * parseTwclidCookie('{"twclid":"abc123","timestamp":1700000000000}'); // 'abc123'
 * parseTwclidCookie('abc123'); // 'abc123'
 */
export function parseTwclidCookie(value: string | null | undefined, notBefore = 0) {
  return attempt(() => {
    const { twclid, timestamp } = value?.[0] === '{' ? JSON.parse(value) : { twclid: value };
    return isValidTwclid(twclid) && !(timestamp < notBefore) ? twclid : undefined;
  });
}

/**
 * The pixel's JSON form of a click id (before URI-encoding).
 *
 * @example
 * formatTwclidCookie('abc123', 1700000000000); // '{"twclid":"abc123","timestamp":1700000000000}'
 */
export function formatTwclidCookie(twclid: string, timestamp: number): string {
  return JSON.stringify({ twclid, timestamp });
}

/**
 * The stored click id: the cookie first, then the localStorage copy, which (unlike
 * the cookie) does not expire by itself, so one older than `days` is ignored.
 *
 * @example
 * const twclid = readClickId(30); // undefined when none is stored or storage is blocked
 */
export function readClickId(days: number): string | undefined {
  return (
    attempt(() => parseTwclidCookie(getCookie(CLICK_ID_KEY))) ||
    attempt(() => parseTwclidCookie(localStorage.getItem(CLICK_ID_KEY), Date.now() - days * 864e5))
  );
}

/**
 * Keeps a click id in the cookie (`days` long, `Secure` on https) and in localStorage.
 *
 * @example
 * storeClickId('abc123', 30);
 */
export function storeClickId(twclid: string, days: number): void {
  const value = formatTwclidCookie(twclid, Date.now());
  attempt(() =>
    setCookie(CLICK_ID_KEY, value, {
      expires: days,
      sameSite: 'Lax',
      secure: location.protocol === 'https:',
    }),
  );
  attempt(() => localStorage.setItem(CLICK_ID_KEY, value));
}

/**
 * Deletes the stored click id (consent withdrawn).
 *
 * @example
 * forgetClickId();
 */
export function forgetClickId(): void {
  attempt(() => removeCookie(CLICK_ID_KEY));
  attempt(() => localStorage.removeItem(CLICK_ID_KEY));
}

/**
 * The click id in a URL query string, if it is a valid one.
 *
 * @example
 * clickIdFromUrl('?twclid=abc123&utm_source=x'); // 'abc123'
 */
export function clickIdFromUrl(search: string): string | undefined {
  const id = new URLSearchParams(search).get('twclid');
  return isValidTwclid(id) ? id : undefined;
}
