/**
 * @module
 * Tells server calls from browser calls. `Authorization: Bearer {SERVER_KEY}`
 * is a server call (a checkout backend); no Bearer `Authorization` is a
 * browser call; a wrong key is a 401, never silently treated as a browser call.
 */
import { timingSafeEqual } from 'hono/utils/buffer';
import { XApiError } from '../errors.ts';

export type Caller = 'server' | 'browser';

/** Who is calling (a pixel's own key: which pixel), or the 401 a wrong bearer key earns. */
export type CallerCheck =
  | { ok: true; caller: Caller; pixel?: string }
  | { ok: false; error: XApiError };

/** The keys server calls may hold: `SERVER_KEY` (every pixel), and each pixel's `SERVER_KEY_<ID>`. */
export interface ServerKeys {
  serverKey: string | undefined;
  pixels: readonly { id: string; serverKey?: string }[];
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

/**
 * Compared against when no key is configured, so a refusal costs the same
 * either way; presenting it wins nothing, since no key means no server call.
 * (A random value would be nicer, but workerd forbids randomness at module scope.)
 */
const NO_KEY = 'x-capi-edge: no SERVER_KEY is configured';

/**
 * Classifies a request by its `Authorization` header. Never throws: a
 * malformed header, a bearer key that matches no configured key, and any key
 * when none is configured all come back as the same 401 to answer.
 */
export async function checkCaller(
  authorization: string | undefined,
  keys: ServerKeys,
): Promise<CallerCheck> {
  const { serverKey } = keys;
  // Only the Bearer scheme claims to be a server: a browser on a site behind
  // HTTP Basic auth sends `Authorization: Basic ...` on its own beacons.
  if (authorization === undefined || !/^Bearer(?:\s|$)/i.test(authorization)) {
    return { ok: true, caller: 'browser' };
  }
  const presented = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization)?.[1] ?? '';
  // Hono's comparison hashes both sides first, so the time taken says nothing
  // about where (or whether the lengths) they differ; with no key configured
  // the comparison still runs, against a fixed stand-in.
  const matches = await timingSafeEqual(presented, serverKey ?? NO_KEY);
  if (matches && serverKey !== undefined && presented !== '') return { ok: true, caller: 'server' };
  const pixel = presented === '' ? undefined : await pixelOfKey(keys.pixels, presented);
  if (pixel !== undefined) return { ok: true, caller: 'server', pixel };
  return { ok: false, error: unauthorized() };
}

const keyDigests = new WeakMap<ServerKeys['pixels'], Promise<ReadonlyMap<string, string>>>();

async function digest(text: string): Promise<string> {
  const bytes = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The pixel whose own key was presented. Keys are looked up by their SHA-256,
 * so one digest serves any number of pixels and the lookup's timing depends
 * on a digest the caller cannot steer, not on the key.
 */
async function pixelOfKey(
  pixels: ServerKeys['pixels'],
  presented: string,
): Promise<string | undefined> {
  if (!pixels.some((pixel) => pixel.serverKey !== undefined)) return undefined;
  let index = keyDigests.get(pixels);
  if (!index) {
    index = Promise.all(
      pixels.flatMap((pixel) =>
        pixel.serverKey === undefined
          ? []
          : [digest(pixel.serverKey).then((hash) => [hash, pixel.id] as const)],
      ),
    ).then((pairs) => new Map(pairs));
    keyDigests.set(pixels, index);
  }
  return (await index).get(await digest(presented));
}
