/**
 * @module
 * The X click id (`twclid`): taken from the landing URL, kept in the first-party
 * cookie `_twclid` in the X pixel's own form plus a localStorage copy, read back
 * from either. Every cookie and storage touch is wrapped: a browser that blocks
 * them simply has no stored click id. The written format and the click id's allowed
 * characters are shared with the edge (common/twclid-cookie.ts), so both sides agree;
 * reading uses the compact `clickIdIn` below, because the shared parser's extra
 * checks cost about 100 of the script's 1,536 gzip bytes.
 */
import { formatTwclidCookie, isValidTwclid, TWCLID_COOKIE } from '../common/twclid-cookie.ts';
import { getCookie, removeCookie, setCookie } from './cookie.ts';

/** Runs a cookie or storage touch; a blocked API yields undefined instead of throwing. */
function attempt<T>(touch: () => T): T | undefined {
  try {
    return touch();
  } catch {}
}

/**
 * The click id in a stored value: the pixel's URI-encoded JSON form, or bare. A JSON
 * value stamped before `notBefore` (ms) counts as expired.
 *
 * @example
 * clickIdIn('%7B%22twclid%22%3A%22abc%22%2C%22timestamp%22%3A1700000000000%7D'); // 'abc'
 * clickIdIn('abc'); // 'abc'
 */
export function clickIdIn(stored: string | null | undefined, notBefore = 0): string | undefined {
  return attempt(() => {
    // Without this guard, decodeURIComponent(undefined) is the string "undefined".
    if (!stored) return;
    const value = decodeURIComponent(stored);
    const { twclid, timestamp } = value[0] === '{' ? JSON.parse(value) : { twclid: value };
    return isValidTwclid(twclid) && !(timestamp < notBefore) ? twclid : undefined;
  });
}

/**
 * The stored click id: the cookie first, then the localStorage copy, which (unlike
 * the cookie) does not expire by itself, so one stamped more than `days` ago is ignored.
 *
 * @example
 * const twclid = readClickId(30); // undefined when none is stored or storage is blocked
 */
export function readClickId(days: number): string | undefined {
  return (
    attempt(() => clickIdIn(getCookie(TWCLID_COOKIE))) ||
    attempt(() => clickIdIn(localStorage.getItem(TWCLID_COOKIE), Date.now() - days * 864e5))
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
    setCookie(TWCLID_COOKIE, value, {
      expires: days,
      sameSite: 'Lax',
      secure: location.protocol === 'https:',
    }),
  );
  attempt(() => localStorage.setItem(TWCLID_COOKIE, value));
}

/**
 * Deletes the stored click id (consent withdrawn).
 *
 * @example
 * forgetClickId();
 */
export function forgetClickId(): void {
  attempt(() => removeCookie(TWCLID_COOKIE));
  attempt(() => localStorage.removeItem(TWCLID_COOKIE));
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
