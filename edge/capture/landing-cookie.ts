/**
 * @module
 * The `_twclid` cookie edge capture adds to a landing page's own response: the
 * same value and attributes as `POST /click` writes (edge/identity/twclid.ts),
 * as a header for a response the edge did not build.
 */
import { generateCookie } from 'hono/cookie';
import { isValidTwclid, TWCLID_COOKIE, twclidCookieJson } from '../../common/twclid-cookie.ts';
import { twclidCookieOptions } from '../identity/twclid.ts';

export type LandingCookieSettings = Parameters<typeof twclidCookieOptions>[0];

/**
 * The `Set-Cookie` value keeping the click id of this landing URL, or
 * `undefined` when the URL has no valid `twclid` or the visitor sent `Sec-GPC: 1`.
 *
 * @example
 * landingCookie(request, { cookieDays: 30 });
 * // '_twclid=%7B%22twclid%22...; Max-Age=2592000; Path=/; Secure; SameSite=Lax'
 */
export function landingCookie(
  request: Request,
  settings: LandingCookieSettings,
  now = Date.now(),
): string | undefined {
  // Global Privacy Control: an opt-out of sharing, so nothing is kept.
  if (request.headers.get('sec-gpc') === '1') return undefined;
  const url = new URL(request.url);
  const twclid = url.searchParams.get('twclid');
  if (!isValidTwclid(twclid)) return undefined;
  // The JSON before encoding: Hono URI-encodes cookie values itself.
  const value = twclidCookieJson(twclid, now);
  return generateCookie(TWCLID_COOKIE, value, twclidCookieOptions(settings, request.url));
}
