/**
 * @module
 * `POST /click`: body `{"twclid":"..."}` (JSON or text/plain, as the browser script
 * sends it); answers 204 with `Set-Cookie: _twclid=...` in the X pixel's form.
 *
 * Why the edge sets the cookie too: Safari caps cookies written by script at 7 days
 * (24 hours after some ad clicks), but not a cookie from an HTTP `Set-Cookie` of the
 * site's own origin. The cookie is readable by script (no HttpOnly) because the
 * browser script and the X pixel read it. Browser calls only, from `ALLOWED_ORIGINS`;
 * `Sec-GPC: 1` gets a 204 without a cookie.
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { isValidTwclid } from '../../common/twclid-cookie.ts';
import { invalidParameter } from '../errors.ts';
import { browserRateLimit } from '../http/browser-rate-limit.ts';
import { identifyCaller } from '../http/caller.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import {
  allowedOriginsCors,
  allowedRequestOrigin,
  originNotAllowed,
} from '../http/origin-policy.ts';
import { pixelByOrigin } from '../http/pixel-scope.ts';
import { setTwclidCookie } from '../identity/twclid.ts';
import { readTextCapped } from '../ingest/parse-body.ts';

/** A click body is a few dozen bytes; anything much bigger is not one. */
const MAX_BODY_BYTES = 1024;

/** Refuses other sites before a byte of the body is read. */
const requireAllowedOrigin = createMiddleware<AppEnv>(async function requireAllowedOrigin(c, next) {
  const config = requireConfig(c);
  if (!allowedRequestOrigin(c.req.raw.headers, config.allowedOrigins)) throw originNotAllowed();
  await next();
});

/** The click id in a `/click` body, or a 400 in X's shape. */
function twclidFromBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidParameter('twclid', 'Body must be JSON such as {"twclid":"..."}');
  }
  const twclid = (body as { twclid?: unknown } | null)?.twclid;
  if (!isValidTwclid(twclid)) {
    throw invalidParameter('twclid', 'twclid must be 1-128 letters, digits, _ or -');
  }
  return twclid;
}

export const clickRoute = new Hono<AppEnv>()
  // As for /events: CORS first so even a 429 is readable, the limit before the body is read.
  .use('/click', allowedOriginsCors(), identifyCaller, pixelByOrigin, browserRateLimit())
  .post('/click', requireAllowedOrigin, async function storeClick(c) {
    const config = requireConfig(c);
    // The same capped read as /events: stops at the cap, whatever `Content-Length` says.
    const twclid = twclidFromBody(await readTextCapped(c.req.raw, MAX_BODY_BYTES));
    c.header('Cache-Control', 'no-store');
    if (c.req.header('sec-gpc') === '1') {
      // Global Privacy Control: an opt-out of sharing, so nothing is kept.
      c.header('X-Xcapi-Gpc', 'honoured');
      return c.body(null, 204);
    }
    setTwclidCookie(c, config, twclid);
    return c.body(null, 204);
  });
