/**
 * @module
 * Tells server calls from browser calls. A request with
 * `Authorization: Bearer {SERVER_KEY}` is a server call (a checkout backend);
 * one without a Bearer `Authorization` is a browser call; a wrong key is a
 * 401, never silently treated as a browser call.
 *
 * The key is compared in constant time: both sides are hashed to 32 bytes
 * first (so lengths never leak through an early exit) and the digests are
 * compared with `crypto.subtle.timingSafeEqual` (workerd) or, where that does
 * not exist, a loop that always visits every byte.
 */
import { XApiError } from '../errors.ts';

export type Caller = 'server' | 'browser';

/** Equal-length constant-time comparison. */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const subtle = crypto.subtle as SubtleCrypto & {
    timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean;
  };
  if (typeof subtle.timingSafeEqual === 'function') return subtle.timingSafeEqual(a, b);
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/**
 * Whether `presented` equals `expected`, in time independent of where they differ.
 *
 * @example
 * await keysMatch('abc', 'abc'); // true
 */
export async function keysMatch(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return bytesEqual(a, b);
}

/**
 * The one 401 every refused bearer key gets, whether `SERVER_KEY` is set or
 * not, so an unauthenticated caller learns nothing about the configuration.
 */
function unauthorized(): XApiError {
  return new XApiError(
    401,
    { code: 'UNAUTHORIZED', message: 'Authorization must be "Bearer SERVER_KEY" with a valid key' },
    { 'WWW-Authenticate': 'Bearer realm="x-capi-edge"' },
  );
}

/** Compared against when no key is configured, so a refusal costs the same either way. */
const NO_KEY = crypto.getRandomValues(new Uint8Array(32)).join('.');

/**
 * Classifies a request by its `Authorization` header. Throws the same 401 for
 * a malformed header, a bearer key that does not match `serverKey`, and any
 * key when none is configured.
 *
 * @example
 * const caller = await callerOf(c.req.header('authorization'), config.serverKey);
 * if (caller === 'browser') checkOrigin();
 */
export async function callerOf(
  authorization: string | undefined,
  serverKey: string | undefined,
): Promise<Caller> {
  // Only the Bearer scheme claims to be a server: a browser on a site behind
  // HTTP Basic auth sends `Authorization: Basic ...` on its own beacons.
  if (authorization === undefined || !/^Bearer(?:\s|$)/i.test(authorization)) return 'browser';
  const presented = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization)?.[1] ?? '';
  const matches = await keysMatch(presented, serverKey ?? NO_KEY);
  if (!matches || serverKey === undefined || presented === '') throw unauthorized();
  return 'server';
}
