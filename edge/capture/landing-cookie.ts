/**
 * @module
 * The `_twclid` cookie edge capture adds to a landing page's own response: the
 * same value and attributes as `POST /click` writes (edge/identity/twclid.ts),
 * as a header for a response the edge did not build.
 */
import { generateCookie } from 'hono/cookie';
import { formatTwclidCookie, isValidTwclid, TWCLID_COOKIE } from '../../common/twclid-cookie.ts';
import { twclidCookieOptions } from '../identity/twclid.ts';

export interface LandingCookieSettings {
  cookieDays: number;
  cookieDomain?: string;
}

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
  // Hono URI-encodes the value itself; the shared format is already encoded.
  const value = decodeURIComponent(formatTwclidCookie(twclid, now));
  return generateCookie(TWCLID_COOKIE, value, twclidCookieOptions(settings, request.url));
}
