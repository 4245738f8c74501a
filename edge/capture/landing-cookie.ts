/**
 * @module
 * The `_twclid` cookie edge capture adds to a landing page's own response: the
 * X pixel's form (the same value `POST /click` and the browser script write),
 * for `COOKIE_DAYS`, on the whole site, `SameSite=Lax` so it rides along the
 * visitor's later navigations, and `Domain=COOKIE_DOMAIN` when set so every
 * subdomain reads it. Not HttpOnly: the script and X's pixel read it.
 */
import { generateCookie } from 'hono/cookie';
import { isValidTwclid, TWCLID_COOKIE } from '../../common/twclid-cookie.ts';

export interface LandingCookieSettings {
  cookieDays: number;
  cookieDomain?: string;
}

/** Hosts a browser treats as secure over plain http, where a `Secure` cookie cannot be tested. */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '127.0.0.1' ||
    hostname === '[::1]'
  );
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
  // hono URI-encodes the value: the pixel's own form, as formatTwclidCookie writes it.
  return generateCookie(TWCLID_COOKIE, JSON.stringify({ twclid, timestamp: now }), {
    path: '/',
    maxAge: settings.cookieDays * 86400,
    sameSite: 'Lax',
    secure: !isLoopbackHost(url.hostname),
    domain: settings.cookieDomain,
  });
}
