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
import { cors } from 'hono/cors';
import { settingsOf } from '../config.ts';
import { XApiError } from '../errors.ts';
import type { AppEnv } from './context.ts';

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
 */
export function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  return origin !== undefined && matchingOrigin(origin, allowed) !== undefined;
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
 */
export function allowedRequestOrigin(
  headers: Headers,
  allowed: readonly string[],
): string | undefined {
  // As `requestOrigin` chooses (`Origin: null` never falls back to `Referer`), with
  // one URL parse at most: none when `Origin` is written exactly as configured.
  return matchingOrigin(headers.get('origin') ?? headers.get('referer') ?? '', allowed);
}

/** The 403 a browser call from an origin outside `ALLOWED_ORIGINS` gets, in X's shape. */
export function originNotAllowed(): XApiError {
  return new XApiError(403, {
    code: 'FORBIDDEN',
    message:
      'Browser calls are accepted only from ALLOWED_ORIGINS (checked against the Origin or Referer header); server calls need Authorization: Bearer SERVER_KEY',
  });
}

/** The configured origins, also when the rest of the configuration is broken. */
function configuredOrigins(result: AppEnv['Variables']['config']): readonly string[] {
  return settingsOf(result).allowedOrigins;
}

/** The canonical configured origin `origin` stands for, if it is one. */
function matchingOrigin(origin: string, allowed: readonly string[]): string | undefined {
  if (origin === '' || origin === 'null') return undefined;
  const configured = canonicalOrigins(allowed);
  // Written exactly as configured (the usual case): canonical already, no URL to parse.
  if (configured.has(origin)) return origin;
  const canonical = canonicalOrigin(origin);
  return canonical !== undefined && configured.has(canonical) ? canonical : undefined;
}

/** How long browsers may cache a preflight answer (Chrome caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

/**
 * CORS for browser calls from `ALLOWED_ORIGINS` only. Credentials are allowed
 * (the browser must send the `_twclid` cookie), so the answer names the
 * configured origin, never `*`. The headers go on every answer to an allowed
 * origin, errors included, so a page can read why it was refused; whether a
 * request is accepted stays the route's decision (server calls need no origin).
 */
export function allowedOriginsCors(): MiddlewareHandler<AppEnv> {
  const answer = cors({
    origin: (origin, c) => matchingOrigin(origin, configuredOrigins(c.get('config'))) ?? null,
    credentials: true,
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Content-Type', 'Authorization'],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  return async function allowedOriginsCorsMiddleware(c, next) {
    const method = c.req.method;
    if (method === 'OPTIONS') {
      // A preflight from any other origin gets a 403 in X's shape rather than a bare 204.
      if (!matchingOrigin(c.req.header('origin') ?? '', configuredOrigins(c.get('config')))) {
        throw new XApiError(
          403,
          { code: 'FORBIDDEN', message: 'Origin is not in ALLOWED_ORIGINS' },
          { Vary: 'Origin' },
        );
      }
      return answer(c, next);
    }
    if (method !== 'POST') return answer(c, next);
    // A POST always ends in a response the app built (the route's answer or
    // an error in X's shape), whose headers can be changed in place. Adding the
    // CORS headers once it exists gives the same headers as adding them first,
    // but Hono then builds that response once rather than starting an empty
    // one and copying it into the route's answer.
    await next();
    await answer(c, answerExists);
  };
}

/** `next` for the CORS middleware once the answer exists: nothing left to run. */
async function answerExists(): Promise<void> {}
