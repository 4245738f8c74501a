/**
 * @module
 * The X click id (`twclid`): taken from the page URL and kept in the first-party
 * cookie `_twclid` as the X pixel's JSON (URI-encoded by js-cookie), for a parent
 * domain when the site names one. Every cookie touch is wrapped: a browser that
 * blocks cookies simply has no stored click id.
 *
 * No localStorage copy: Safari wipes it on the same 7-day clock as a script-written
 * cookie, and the durable copy is the edge's own HTTP cookie (`POST /click`, or the
 * edge setting it on the landing page itself).
 */
import Cookies from 'js-cookie';
import { isValidTwclid, TWCLID_COOKIE, twclidCookieJson } from '../common/twclid-cookie.ts';

/** Runs a cookie touch; a blocked API yields undefined instead of throwing. */
function attempt<T>(touch: () => T): T | undefined {
  try {
    return touch();
  } catch {}
}

/**
 * The click id in a stored value (js-cookie has already URI-decoded a cookie): the
 * pixel's JSON form, or bare.
 *
 * @example
 * clickIdIn('{"twclid":"abc","timestamp":1700000000000}'); // 'abc'
 * clickIdIn('abc'); // 'abc'
 */
export function clickIdIn(stored: string | null | undefined): string | undefined {
  return attempt(() => {
    const { twclid } = stored?.[0] === '{' ? JSON.parse(stored) : { twclid: stored };
    return isValidTwclid(twclid) ? twclid : undefined;
  });
}

/**
 * The stored click id, whichever host of the site wrote it when it was written
 * for a parent domain.
 *
 * @example
 * const twclid = readClickId(); // undefined when none is stored or cookies are blocked
 */
export function readClickId(): string | undefined {
  return attempt(() => clickIdIn(Cookies.get(TWCLID_COOKIE)));
}

/**
 * Keeps a click id in the cookie: `days` long, `Secure` on https, for `domain` and
 * its subdomains when given (host-only otherwise).
 *
 * @example
 * storeClickId('abc123', 30, 'shop.example');
 */
export function storeClickId(twclid: string, days: number, domain?: string): void {
  attempt(() =>
    // js-cookie URI-encodes what a cookie value cannot hold as is.
    Cookies.set(TWCLID_COOKIE, twclidCookieJson(twclid, Date.now()), {
      expires: days,
      sameSite: 'Lax',
      secure: location.protocol === 'https:',
      domain,
    }),
  );
}

/**
 * Deletes the stored click id (consent withdrawn): the host-only cookie (which the
 * edge writes too) and the one for `domain` when given.
 *
 * @example
 * forgetClickId('shop.example');
 */
export function forgetClickId(domain?: string): void {
  attempt(() => {
    Cookies.remove(TWCLID_COOKIE);
    Cookies.remove(TWCLID_COOKIE, { domain });
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
