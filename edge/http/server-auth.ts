/**
 * @module
 * Tells server calls from browser calls. `Authorization: Bearer {SERVER_KEY}`
 * is a server call (a checkout backend); no Bearer `Authorization` is a
 * browser call; a wrong key is a 401, never silently treated as a browser call.
 */
import { timingSafeEqual } from 'hono/utils/buffer';
import { XApiError } from '../errors.ts';

export type Caller = 'server' | 'browser';

/** Who is calling, or the 401 a wrong bearer key earns. */
export type CallerCheck = { ok: true; caller: Caller } | { ok: false; error: XApiError };

function unauthorized(message: string): XApiError {
  return new XApiError(
    401,
    { code: 'UNAUTHORIZED', message },
    { 'WWW-Authenticate': 'Bearer realm="x-capi-edge"' },
  );
}

/**
 * Classifies a request by its `Authorization` header. Never throws: a bearer
 * key that does not match `serverKey` (or any key when none is configured)
 * comes back as the 401 to answer.
 */
export async function checkCaller(
  authorization: string | undefined,
  serverKey: string | undefined,
): Promise<CallerCheck> {
  // Only the Bearer scheme claims to be a server: a browser on a site behind
  // HTTP Basic auth sends `Authorization: Basic ...` on its own beacons.
  if (authorization === undefined || !/^Bearer(?:\s|$)/i.test(authorization)) {
    return { ok: true, caller: 'browser' };
  }
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization);
  if (!match)
    return { ok: false, error: unauthorized('Authorization must be "Bearer SERVER_KEY"') };
  if (!serverKey) {
    return {
      ok: false,
      error: unauthorized('Server calls are disabled: SERVER_KEY is not set on the edge'),
    };
  }
  // Hono's comparison hashes both sides first, so the time taken says nothing
  // about where (or whether the lengths) they differ.
  if (!(await timingSafeEqual(match[1] as string, serverKey))) {
    return { ok: false, error: unauthorized('The bearer key does not match SERVER_KEY') };
  }
  return { ok: true, caller: 'server' };
}
