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
 * One address is not one attacker: anyone with a routed IPv6 /48 has 65,536
 * /64s. So an IPv6 call is counted on its /64, its /56 and its /48, each with
 * its own binding and allowance, and every browser call also counts toward one
 * cap per pixel. A call with no usable address (no or a malformed
 * `CF-Connecting-IP`) shares one bucket with all such calls instead of going
 * unlimited. Cloudflare counts per location and approximately: these bound
 * how fast forged beacons enter the queue, not exactly how many; the budget's
 * reserved server share (edge/delivery/rate-budget.ts) is what keeps real
 * server conversions moving whatever gets through.
 *
 * Server calls with the right bearer key are not counted: a checkout backend
 * sends every order from a handful of addresses. A wrong bearer key *is*
 * counted, which also slows down anyone guessing `SERVER_KEY`.
 */
import type { MiddlewareHandler } from 'hono';
import ipaddr from 'ipaddr.js';
import { settingsOf } from '../config.ts';
import type { Env } from '../env.ts';
import { XApiError } from '../errors.ts';
import { errorName, log } from '../log.ts';
import type { AppEnv } from './context.ts';

/**
 * The period configured on the binding in wrangler.toml (`simple.period`).
 * The binding does not report when a client's window resets, so a 429 asks it
 * to wait one whole period: never too early, at most one period too late.
 */
export const BROWSER_RATE_LIMIT_PERIOD_SECONDS = 60;

/** An IPv6 address's first `bits`, as `ip6:2001:db8:1200::/56` (ipaddr.js's RFC 5952 form). */
function ipv6Prefix(address: ipaddr.IPv6, bits: number): string {
  const mask = ipaddr.IPv6.subnetMaskFromPrefixLength(bits).toByteArray();
  const network = address.toByteArray().map((byte, i) => byte & (mask[i] ?? 0));
  return `ip6:${ipaddr.fromByteArray(network).toString()}/${bits}`;
}

/** What a client address is, for rate limiting. */
export type ClientAddress =
  | { kind: 'loopback' }
  | { kind: 'unusable' }
  | { kind: 'ipv4'; key: string }
  | { kind: 'ipv6'; key: string; prefix56: string; prefix48: string };

/**
 * Classifies a client address and gives its rate limiting keys.
 *
 * - IPv4: the address itself.
 * - IPv6: its /64 prefix, plus its /56 and /48. One subscriber gets a whole
 *   /64 (often a /56 or /48) and can rotate through it freely (privacy
 *   extensions do it daily), so keying on the full address would give an
 *   abuser unlimited fresh keys.
 * - IPv4-mapped IPv6 (`::ffff:192.0.2.1`): the IPv4 address, one key per client.
 * - Loopback (`127.0.0.0/8`, `::1`): not limited. Cloudflare always sets
 *   `CF-Connecting-IP` to the client's public address, so loopback only shows
 *   up under `wrangler dev`, where local browser tests and benchmarks send
 *   everything from one machine and must not be throttled as abuse.
 * - Anything else (absent, not an IP address): `unusable`.
 *
 * The keys are addresses in clear, not hashes: they go only to the bindings,
 * which run inside Cloudflare, the same place that already sees every
 * request's address, and are never logged or stored by this code. A SHA-256
 * of an IPv4 address would hide nothing anyway (2^32 candidates are hashed in
 * seconds) and would cost CPU on every call.
 *
 * @example
 * clientAddress('2001:db8:1:2:aaaa::1');
 * // { kind: 'ipv6', key: 'ip6:2001:db8:1:2::/64', prefix56: 'ip6:2001:db8:1::/56', prefix48: 'ip6:2001:db8:1::/48' }
 */
export function clientAddress(address: string | undefined): ClientAddress {
  const text = address?.trim();
  if (!text) return { kind: 'unusable' };
  // Only dotted quads: ipaddr.js would also read `127.1` or `0x7f.0.0.1`, which no
  // proxy sends and which would let one client spell its address many ways.
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    const v4 = ipaddr.IPv4.parse(text);
    return v4.range() === 'loopback'
      ? { kind: 'loopback' }
      : { kind: 'ipv4', key: `ip4:${v4.toString()}` };
  }
  if (!ipaddr.IPv6.isValid(text)) return { kind: 'unusable' };
  const v6 = ipaddr.IPv6.parse(text);
  if (v6.isIPv4MappedAddress()) return clientAddress(v6.toIPv4Address().toString());
  if (v6.range() === 'loopback') return { kind: 'loopback' };
  return {
    kind: 'ipv6',
    key: ipv6Prefix(v6, 64),
    prefix56: ipv6Prefix(v6, 56),
    prefix48: ipv6Prefix(v6, 48),
  };
}

/**
 * The per-address rate limiting key (IPv4 address or IPv6 /64), or undefined
 * for a loopback or unusable address.
 *
 * @example
 * rateLimitKey('203.0.113.9'); // 'ip4:203.0.113.9'
 * rateLimitKey('2001:db8:1:2:aaaa::1'); // 'ip6:2001:db8:1:2::/64'
 * rateLimitKey('127.0.0.1'); // undefined
 */
export function rateLimitKey(address: string | undefined): string | undefined {
  const client = clientAddress(address);
  return client.kind === 'ipv4' || client.kind === 'ipv6' ? client.key : undefined;
}

/** The one bucket shared by every browser call without a usable address. */
export const NO_ADDRESS_KEY = 'no-address';

/** Which bindings count this call, under which keys; empty for loopback and bindings the deployment lacks. */
function limitsFor(env: Env, address: ClientAddress, pixelId: string): Limit[] {
  if (address.kind === 'loopback') return [];
  const limits: Candidate[] =
    address.kind === 'unusable'
      ? [{ binding: env.BROWSER_NO_ADDRESS_LIMITER, key: NO_ADDRESS_KEY, scope: 'network' }]
      : [{ binding: env.BROWSER_RATE_LIMITER, key: address.key, scope: 'network' }];
  if (address.kind === 'ipv6') {
    limits.push(
      { binding: env.BROWSER_RATE_LIMITER_56, key: address.prefix56, scope: 'network' },
      { binding: env.BROWSER_RATE_LIMITER_48, key: address.prefix48, scope: 'network' },
    );
  }
  limits.push({ binding: env.BROWSER_PIXEL_RATE_LIMITER, key: `pixel:${pixelId}`, scope: 'pixel' });
  return limits.filter((limit): limit is Limit => limit.binding !== undefined);
}

interface Limit {
  binding: RateLimit;
  key: string;
  /** Named in the 429: this client's network, or all browsers of the pixel. */
  scope: 'network' | 'pixel';
}

/** A limit whose binding may be missing from the deployment. */
type Candidate = Omit<Limit, 'binding'> & { binding: RateLimit | undefined };

/** The 429 an over-limit client gets, in X's shape, with `Retry-After` (RFC 9110 section 10.2.3). */
function tooManyRequests(scope: Limit['scope']): XApiError {
  const from = scope === 'pixel' ? 'browsers for this pixel' : 'this address or network';
  return new XApiError(
    429,
    {
      code: 'TOO_MANY_REQUESTS',
      message: `Too many requests from ${from}: retry after ${BROWSER_RATE_LIMIT_PERIOD_SECONDS} seconds`,
    },
    { 'Retry-After': String(BROWSER_RATE_LIMIT_PERIOD_SECONDS) },
  );
}

/** Counts the call on one binding; a failing binding lets it through (and says so, without the key). */
async function withinLimit(limit: Limit): Promise<boolean> {
  try {
    return (await limit.binding.limit({ key: limit.key })).success;
  } catch (err) {
    // Name only: the message could quote the key, which is the client's address.
    log.warn('browser rate limiter failed; request allowed', { error: errorName(err) });
    return true;
  }
}

/**
 * Middleware limiting browser calls per client address (`CF-Connecting-IP`),
 * per IPv6 /56 and /48, per pixel, and calls without an address together,
 * with the `BROWSER_*_LIMITER` bindings (wrangler.toml `[[ratelimits]]`). Over any limit: 429
 * `TOO_MANY_REQUESTS` with `Retry-After`. Skips, without error: preflights
 * (`OPTIONS`, cached by browsers and doing no work), server calls with the
 * right bearer key, loopback addresses, and bindings the deployment lacks. If
 * a binding itself fails, the request goes through: abuse control must never
 * take conversions down with it.
 *
 * Mount it after `identifyCaller` and before body parsing, so a flood costs
 * the edge as little as possible.
 */
export function browserRateLimit(): MiddlewareHandler<AppEnv> {
  return async function browserRateLimitMiddleware(c, next) {
    if (!c.env || c.req.method === 'OPTIONS') return next();
    // A wrong or malformed key counts like any browser call (the route answers 401).
    const caller = c.get('caller');
    if (caller.ok && caller.caller === 'server') return next();
    const result = c.get('config');
    const config = settingsOf(result);
    const limits = limitsFor(
      c.env,
      clientAddress(c.req.header('cf-connecting-ip')),
      config.pixelId,
    );
    if (limits.length === 0) {
      return next();
    }
    const verdicts = await Promise.all(limits.map(withinLimit));
    const over = limits.find((_, i) => !verdicts[i]);
    if (over) throw tooManyRequests(over.scope);
    return next();
  };
}
