/**
 * @module
 * Which web origins may send browser calls, and the CORS answers that go with it.
 *
 * A browser call carries no secret, so the only thing that ties it to the
 * advertiser's site is the origin the browser reports: `Origin`, or when a
 * browser leaves it out (some send none on same-origin POSTs), the origin of
 * `Referer`. This is abuse control against other sites' pages, not
 * authentication: a non-browser client can forge both headers, which is why
 * server calls use a bearer key instead (./server-auth.ts).
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app.ts';
import { requireConfig } from '../app.ts';
import { XApiError } from '../errors.ts';

/** Canonical form of an origin (`https://a.example:443` -> `https://a.example`), or undefined. */
function canonicalOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * The origin a request claims to come from: `Origin`, else the origin of
 * `Referer`. `Origin: null` (sandboxed frames, privacy-hiding redirects) is an
 * explicit "no origin" and does not fall back to `Referer`.
 *
 * @example
 * requestOrigin(new Headers({ referer: 'https://shop.example/cart?x=1' }));
 * // 'https://shop.example'
 */
export function requestOrigin(headers: Headers): string | undefined {
  const origin = headers.get('origin');
  if (origin !== null) return origin === 'null' ? undefined : canonicalOrigin(origin);
  const referer = headers.get('referer');
  return referer ? canonicalOrigin(referer) : undefined;
}

/**
 * Whether `origin` is one of the configured origins (compared canonically, so
 * case and default ports do not matter).
 *
 * @example
 * isAllowedOrigin('https://SHOP.example:443', ['https://shop.example']); // true
 */
export function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return false;
  const canonical = canonicalOrigin(origin);
  return canonical !== undefined && canonicalOrigins(allowed).has(canonical);
}

/** The configured list, canonical, once per list (it is asked twice per browser call). */
const canonicalCache = new WeakMap<readonly string[], ReadonlySet<string>>();

function canonicalOrigins(allowed: readonly string[]): ReadonlySet<string> {
  let set = canonicalCache.get(allowed);
  if (!set) {
    set = new Set(allowed.map(canonicalOrigin).filter((o): o is string => o !== undefined));
    canonicalCache.set(allowed, set);
  }
  return set;
}

/**
 * The request's allowed origin, or undefined when it has none or one not in
 * `allowed`.
 *
 * @example
 * const origin = allowedRequestOrigin(c.req.raw.headers, config.allowedOrigins);
 */
export function allowedRequestOrigin(
  headers: Headers,
  allowed: readonly string[],
): string | undefined {
  const origin = requestOrigin(headers);
  return isAllowedOrigin(origin, allowed) ? origin : undefined;
}

/** The 403 a browser call from an origin outside `ALLOWED_ORIGINS` gets, in X's shape. */
export function originNotAllowed(): XApiError {
  return new XApiError(403, {
    code: 'FORBIDDEN',
    message:
      'Browser calls are accepted only from ALLOWED_ORIGINS (checked against the Origin or Referer header); server calls need Authorization: Bearer SERVER_KEY',
  });
}

const ALLOW_METHODS = 'POST, OPTIONS';
const ALLOW_HEADERS = 'Content-Type, Authorization';
/** How long browsers may cache a preflight answer (Chrome caps at 2 hours anyway). */
const PREFLIGHT_MAX_AGE_SECONDS = '7200';

/**
 * CORS for browser calls from `ALLOWED_ORIGINS` only.
 *
 * - Preflight (`OPTIONS`): 204 with the CORS headers for an allowed origin;
 *   403 in X's shape for any other, so nothing is granted by accident.
 * - Other requests: an allowed origin gets `Access-Control-Allow-Origin` set to
 *   itself (never `*`: credentials are on, because the browser must send the
 *   `_twclid` cookie), with `Access-Control-Allow-Credentials: true`.
 * - `Vary: Origin` always, so a shared cache never serves one origin's answer
 *   to another.
 *
 * Whether a non-preflight request is *accepted* is the route's decision
 * (server calls need no origin); this middleware only labels responses.
 *
 * @example
 * export const eventsRoute = new Hono<AppEnv>()
 *   .use('/events', allowedOriginsCors())
 *   .post('/events', handler);
 */
export function allowedOriginsCors(): MiddlewareHandler<AppEnv> {
  return async function allowedOriginsCorsMiddleware(c, next) {
    const config = requireConfig(c.get('configResult'));
    const origin = c.req.header('origin');
    const allowed =
      origin !== undefined && origin !== 'null' && isAllowedOrigin(origin, config.allowedOrigins);

    if (c.req.method === 'OPTIONS') {
      if (!allowed) {
        throw new XApiError(
          403,
          {
            code: 'FORBIDDEN',
            message: 'Origin is not in ALLOWED_ORIGINS',
          },
          { Vary: 'Origin' },
        );
      }
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': ALLOW_METHODS,
        'Access-Control-Allow-Headers': ALLOW_HEADERS,
        'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_SECONDS,
        Vary: 'Origin',
      });
    }

    await next();
    c.res.headers.append('Vary', 'Origin');
    if (allowed) {
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.set('Access-Control-Allow-Credentials', 'true');
    }
  };
}
