/**
 * @module
 * The click id (`twclid`) from the page URL, kept in the `_twclid` cookie in the X
 * pixel's form (JSON, URI-encoded by js-cookie) and in a localStorage copy, read when
 * the cookie is gone. A browser that blocks both simply has no stored click id.
 */
import Cookies from 'js-cookie';
import { isValidTwclid, TWCLID_COOKIE, twclidCookieJson } from '../common/twclid-cookie.ts';

/** A blocked cookie jar or storage throws; that is undefined here. */
function attempt<T>(touch: () => T): T | undefined {
  try {
    return touch();
  } catch {}
}

/**
 * The click id in a stored value, the pixel's JSON or bare; a JSON value stamped
 * before `notBefore` (ms) counts as expired.
 */
export function clickIdIn(
  stored: string | null | undefined,
  notBefore?: number,
): string | undefined {
  return attempt(() => {
    const { twclid, timestamp } = stored?.[0] === '{' ? JSON.parse(stored) : { twclid: stored };
    // No `notBefore`: `timestamp < undefined` is false, nothing expires.
    return isValidTwclid(twclid) && !(timestamp < (notBefore as number)) ? twclid : undefined;
  });
}

/**
 * The cookie's click id, else the localStorage copy's if stored within `days` (it
 * never expires by itself). Where the cookie jar throws, storage throws too.
 */
export function readClickId(days: number): string | undefined {
  return attempt(
    () =>
      clickIdIn(Cookies.get(TWCLID_COOKIE)) ||
      clickIdIn(localStorage.getItem(TWCLID_COOKIE), Date.now() - days * 864e5),
  );
}

/** Stores the click id for `days`: the cookie (for `domain` and its subdomains when given) and the copy. */
export function storeClickId(twclid: string, days: number, domain?: string | null): void {
  const value = twclidCookieJson(twclid, Date.now());
  // Where the cookie jar throws (a sandboxed frame), storage throws too.
  attempt(() => {
    Cookies.set(TWCLID_COOKIE, value, {
      expires: days,
      sameSite: 'Lax',
      secure: isSecureContext,
      // js-cookie skips a null attribute as it does an undefined one.
      domain: domain as string | undefined,
    });
    localStorage.setItem(TWCLID_COOKIE, value);
  });
}

/** Deletes the stored click id: the host-only cookie (the edge writes one too), `domain`'s, and the copy. */
export function forgetClickId(domain?: string | null): void {
  attempt(() => {
    Cookies.remove(TWCLID_COOKIE);
    Cookies.remove(TWCLID_COOKIE, { domain: domain as string | undefined });
    localStorage.removeItem(TWCLID_COOKIE);
  });
}

/**
 * A valid click id in a query string. A plain search, not `URLSearchParams`: valid
 * ids need no decoding, and this runs on every load and navigation.
 */
export function clickIdFromUrl(search: string): string | undefined {
  return /[?&]twclid=([\w-]{1,128})(?:[&#]|$)/.exec(search)?.[1];
}
