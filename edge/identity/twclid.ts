/**
 * @module
 * The `_twclid` cookie on the edge: reading the click id a browser call
 * carries, and the one place that decides how the edge writes the cookie.
 * A bad cookie is the page's or another script's doing, so it is ignored.
 */

import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { parseTwclidCookie, TWCLID_COOKIE, twclidCookieJson } from '../../common/twclid-cookie.ts';
import type { EdgeConfig } from '../config.ts';

/** The `_twclid` cookie's click id, in either of its forms, or `undefined`. */
export function cookieTwclid(c: Context): string | undefined {
  return parseTwclidCookie(getCookie(c, TWCLID_COOKIE))?.twclid;
}

/** Hosts a browser reaches over plain http during development. */
function isLocalHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '127.0.0.1' ||
    hostname === '[::1]'
  );
}

/**
 * Attributes of the `_twclid` cookie the edge writes. Readable by script (no
 * HttpOnly): the browser script and the X pixel read it. `Secure` everywhere
 * but on local hosts, where development runs over plain http.
 */
export function twclidCookieOptions(
  config: Pick<EdgeConfig, 'cookieDays' | 'cookieDomain'>,
  requestUrl: string,
): CookieOptions {
  return {
    path: '/',
    sameSite: 'Lax',
    maxAge: config.cookieDays * 86_400,
    secure: !isLocalHost(new URL(requestUrl).hostname),
    ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
  };
}

/** Sets `_twclid` in the X pixel's form, so script, pixel and edge share one cookie. */
export function setTwclidCookie(c: Context, config: EdgeConfig, twclid: string): void {
  // The JSON before encoding: Hono URI-encodes cookie values itself.
  const value = twclidCookieJson(twclid, Date.now());
  setCookie(c, TWCLID_COOKIE, value, twclidCookieOptions(config, c.req.url));
}
