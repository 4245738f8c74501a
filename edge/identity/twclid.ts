/**
 * @module
 * The click id of a browser call: from the body, else from the `_twclid`
 * cookie. A bad click id in the body is the caller's mistake (400); a bad
 * cookie is the page's or another script's, so it is ignored. Never hashed.
 */

import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { parseTwclidCookie, TWCLID_COOKIE } from '../../common/twclid-cookie.ts';

/**
 * The `_twclid` cookie's click id, in either of its forms, or `undefined`.
 *
 * @example
 * cookieTwclid(c); // '26al4tn7x9n5o40h6sd2ds3kbt'
 */
export function cookieTwclid(c: Context): string | undefined {
  return parseTwclidCookie(getCookie(c, TWCLID_COOKIE))?.twclid;
}
