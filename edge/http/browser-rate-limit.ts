/**
 * @module
 * Per-client abuse control for browser calls: a script that floods
 * `POST /events` from one address (inflating purchases, probing the schema) is
 * answered 429 in X's shape after a minute's allowance, before its body is
 * even read.
 *
 * It uses the Workers Rate Limiting binding (`BROWSER_RATE_LIMITER`), which
 * is approximate and counted per Cloudflare location: right for abuse control,
 * where a few extra requests do not matter, and cheap (no storage round trip
 * on the request path). X's own per-account quota needs an exact count and is
 * the delivery side's job (edge/delivery/rate-budget.ts).
 *
 * Server calls with the right bearer key are not counted: a checkout backend
 * sends every order from a handful of addresses. A wrong bearer key *is*
 * counted, which also slows down anyone guessing `SERVER_KEY`.
 */
import type { MiddlewareHandler } from 'hono';
import { XApiError } from '../errors.ts';
import { errorName, log } from '../log.ts';
import type { AppEnv } from './context.ts';

/**
 * The period configured on the binding in wrangler.toml (`simple.period`).
 * The binding does not report when a client's window resets, so a 429 asks it
 * to wait one whole period: never too early, at most one period too late.
 */
export const BROWSER_RATE_LIMIT_PERIOD_SECONDS = 60;

/** Number of leading 16-bit groups that make an IPv6 /64 prefix. */
const IPV6_PREFIX_GROUPS = 4;

/** The eight 16-bit groups of an IPv6 address (`::` expanded, IPv4 tail converted), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  // An embedded IPv4 tail (`::ffff:192.0.2.1`) stands for the last two groups.
  const v4Tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail.slice(1).map(Number) as [number, number, number, number];
    if ([a, b, c, d].some((n) => n > 255)) return undefined;
    const high = ((a << 8) | b).toString(16);
    const low = ((c << 8) | d).toString(16);
    text = `${text.slice(0, v4Tail.index)}${high}:${low}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] =>
    part
      ? part.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : NaN))
      : [];
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  if ([...head, ...tail].some(Number.isNaN)) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The rate limiting key for a client address, or undefined when the address
 * should not be limited (absent, loopback, or not an IP address).
 *
 * - IPv4: the address itself.
 * - IPv6: its /64 prefix. One subscriber gets a whole /64 and can rotate
 *   through its 2^64 addresses freely (privacy extensions do it daily), so
 *   keying on the full address would give an abuser unlimited fresh keys.
 * - IPv4-mapped IPv6 (`::ffff:192.0.2.1`): the IPv4 address, one key per client.
 * - Loopback (`127.0.0.0/8`, `::1`): undefined. Cloudflare always sets
 *   `CF-Connecting-IP` to the client's public address, so loopback only shows
 *   up under `wrangler dev`, where local browser tests and benchmarks send
 *   everything from one machine and must not be throttled as abuse.
 *
 * The key is the address in clear, not a hash: it goes only to the binding,
 * which runs inside Cloudflare, the same place that already sees every
 * request's address, and is never logged or stored by this code. A SHA-256 of
 * an IPv4 address would hide nothing anyway (2^32 candidates are hashed in
 * seconds) and would cost CPU on every call.
 *
 * @example
 * rateLimitKey('203.0.113.9'); // 'ip4:203.0.113.9'
 * rateLimitKey('2001:db8:1:2:aaaa::1'); // 'ip6:2001:db8:1:2::/64'
 * rateLimitKey('127.0.0.1'); // undefined
 */
export function rateLimitKey(address: string | undefined): string | undefined {
  const text = address?.trim();
  if (!text) return undefined;
  const v4 = IPV4.exec(text);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((n) => n > 255)) return undefined;
    return octets[0] === 127 ? undefined : `ip4:${octets.join('.')}`;
  }
  const groups = ipv6Groups(text);
  if (!groups) return undefined;
  const isLoopback = groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
  if (isLoopback) return undefined;
  const isV4Mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (isV4Mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return rateLimitKey(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);
  }
  const prefix = groups.slice(0, IPV6_PREFIX_GROUPS).map((g) => g.toString(16));
  return `ip6:${prefix.join(':')}::/64`;
}

/** The 429 an over-limit client gets, in X's shape, with `Retry-After` (RFC 9110 section 10.2.3). */
function tooManyRequests(): XApiError {
  return new XApiError(
    429,
    {
      code: 'TOO_MANY_REQUESTS',
      message: `Too many requests from this address: retry after ${BROWSER_RATE_LIMIT_PERIOD_SECONDS} seconds`,
    },
    { 'Retry-After': String(BROWSER_RATE_LIMIT_PERIOD_SECONDS) },
  );
}

/**
 * Middleware limiting browser calls per client address (`CF-Connecting-IP`)
 * with the `BROWSER_RATE_LIMITER` binding. Over the limit: 429
 * `TOO_MANY_REQUESTS` with `Retry-After`. Skips, without error:
 * preflights (`OPTIONS`, cached by browsers and doing no work), server calls
 * with the right bearer key, requests with no usable address, and a
 * deployment without the binding. If the binding itself fails, the request
 * goes through: abuse control must never take conversions down with it.
 *
 * Mount it after `identifyCaller` and before body parsing, so a flood costs
 * the edge as little as possible.
 */
export function browserRateLimit(): MiddlewareHandler<AppEnv> {
  return async function browserRateLimitMiddleware(c, next) {
    const limiter = c.env?.BROWSER_RATE_LIMITER;
    if (!limiter || c.req.method === 'OPTIONS') return next();
    const key = rateLimitKey(c.req.header('cf-connecting-ip'));
    if (key === undefined) return next();
    // A wrong or malformed key counts like any browser call (the route answers 401).
    const caller = c.var.caller;
    if (caller.ok && caller.caller === 'server') return next();

    let outcome: RateLimitOutcome;
    try {
      outcome = await limiter.limit({ key });
    } catch (err) {
      // Name only: the message could quote the key, which is the client's address.
      log.warn('browser rate limiter failed; request allowed', { error: errorName(err) });
      return next();
    }
    if (!outcome.success) throw tooManyRequests();
    return next();
  };
}
