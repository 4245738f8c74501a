/**
 * @module
 * The X click id (`twclid`): taken from the page URL and kept in the first-party
 * cookie `_twclid` as the X pixel's JSON (URI-encoded by js-cookie), for a parent
 * domain when the site names one, plus a localStorage copy of the same JSON, read
 * when the cookie is gone (cleared with other cookies, or never written by a browser
 * that refuses script cookies). Every cookie and storage touch is wrapped: a browser
 * that blocks both simply has no stored click id.
 */
import Cookies from 'js-cookie';
import { isValidTwclid, TWCLID_COOKIE, twclidCookieJson } from '../common/twclid-cookie.ts';

/** Runs a cookie or storage touch; a blocked API yields undefined instead of throwing. */
function attempt<T>(touch: () => T): T | undefined {
  try {
    return touch();
  } catch {}
}

/**
 * The click id in a stored value (js-cookie has already URI-decoded a cookie): the
 * pixel's JSON form, or bare. A JSON value stamped before `notBefore` (ms) counts
 * as expired.
 *
 * @example
 * clickIdIn('{"twclid":"abc","timestamp":1700000000000}'); // 'abc'
 * clickIdIn('abc'); // 'abc'
 */
export function clickIdIn(stored: string | null | undefined, notBefore = 0): string | undefined {
  return attempt(() => {
    const { twclid, timestamp } = stored?.[0] === '{' ? JSON.parse(stored) : { twclid: stored };
    return isValidTwclid(twclid) && !(timestamp < notBefore) ? twclid : undefined;
  });
}

/**
 * The stored click id: the cookie (whichever host of the site wrote it, when it was
 * written for a parent domain), else the localStorage copy, which does not expire by
 * itself, so a copy stamped more than `days` ago is ignored.
 *
 * @example
 * const twclid = readClickId(30); // undefined when none is stored or storage is blocked
 */
export function readClickId(days: number): string | undefined {
  return (
    attempt(() => clickIdIn(Cookies.get(TWCLID_COOKIE))) ||
    attempt(() => clickIdIn(localStorage.getItem(TWCLID_COOKIE), Date.now() - days * 864e5))
  );
}

/**
 * Keeps a click id in the cookie (`days` long, `Secure` on https, for `domain` and
 * its subdomains when given, host-only otherwise) and in localStorage.
 *
 * @example
 * storeClickId('abc123', 30, 'shop.example');
 */
export function storeClickId(twclid: string, days: number, domain?: string): void {
  const value = twclidCookieJson(twclid, Date.now());
  // One attempt: where the cookie jar throws (a sandboxed frame), storage throws too.
  attempt(() => {
    // js-cookie URI-encodes what a cookie value cannot hold as is.
    Cookies.set(TWCLID_COOKIE, value, {
      expires: days,
      sameSite: 'Lax',
      secure: location.protocol === 'https:',
      domain,
    });
    localStorage.setItem(TWCLID_COOKIE, value);
  });
}

/**
 * Deletes the stored click id (consent withdrawn): the host-only cookie (which the
 * edge writes too), the one for `domain` when given, and the localStorage copy.
 *
 * @example
 * forgetClickId('shop.example');
 */
export function forgetClickId(domain?: string): void {
  attempt(() => {
    Cookies.remove(TWCLID_COOKIE);
    Cookies.remove(TWCLID_COOKIE, { domain });
    localStorage.removeItem(TWCLID_COOKIE);
  });
}

/**
 * The click id in a URL query string, if it is a valid one (the characters and
 * length of `isValidTwclid`). A plain search rather than `URLSearchParams`: valid
 * click ids need no decoding, and this runs on every page load and navigation.
 *
 * @example
 * clickIdFromUrl('?twclid=abc123&utm_source=x'); // 'abc123'
 */
export function clickIdFromUrl(search: string): string | undefined {
  return /[?&]twclid=([\w-]{1,128})(?:[&#]|$)/.exec(search)?.[1];
}
