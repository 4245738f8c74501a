/**
 * @module
 * `GET /xcapi.js`, `GET /xcapi-datalayer.js` and `GET /xcapi-consent.js`: the
 * browser script, its GA4 dataLayer bridge and its consent adapter, built by
 * scripts/build-client.ts into
 * edge/generated/client-script.ts (run `npm run build` first), served from memory.
 *
 * Configuration: with a valid configuration, the first two carry the configured events as
 * X's pixel names them (`{"purchase":"tw-o9d7n-o9d2g"}`), written in place of the
 * build's placeholder, so the script can mirror conversions to X's pixel and skip
 * dataLayer events the edge would refuse. No extra request, no attribute to keep
 * in sync. Without a valid configuration the script is served as built.
 *
 * Caching: the tag's URL carries no version (sites paste it once), so a long
 * `max-age` would pin browsers to an old script for that long after a deploy or a
 * configuration change. Five minutes bounds that staleness; the strong ETag
 * (SHA-256 of the bytes served, so one per script and configuration) makes every
 * revalidation after that a body-less 304.
 */
import { type Context, Hono } from 'hono';
import { toBase64 } from '../byte-text.ts';
import { type EdgeConfig, settingsOf } from '../config.ts';
import {
  CLIENT_SCRIPT,
  CONSENT_SCRIPT,
  DATA_LAYER_SCRIPT,
  PIXEL_EVENTS_PLACEHOLDER,
} from '../generated/client-script.ts';
import type { AppEnv } from '../http/context.ts';
import { pixelByOrigin } from '../http/pixel-scope.ts';

const CACHE_CONTROL = 'public, max-age=300';

interface ServedScript {
  body: string;
  etag: string;
}

/**
 * X's pixel event id per configured event: `tw-<pixel>-<tag>`, or the tag as
 * configured when it already has that form.
 *
 * @example
 * pixelEventIds({ pixelId: 'o9d7n', events: { purchase: 'o9d2g' } }); // { purchase: 'tw-o9d7n-o9d2g' }
 */
export function pixelEventIds(
  config: Pick<EdgeConfig, 'pixelId' | 'events'>,
): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const [event, tag] of Object.entries(config.events)) {
    ids[event] = tag.startsWith('tw-') ? tag : `tw-${config.pixelId}-${tag}`;
  }
  return ids;
}

async function sha256Etag(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)),
  );
  const base64 = toBase64(digest);
  return `"${base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}"`;
}

/** Served bodies per parsed configuration and script; without a valid one, the source as built. */
const servedByConfig = new WeakMap<EdgeConfig, Map<string, Promise<ServedScript>>>();
const servedAsBuilt = new Map<string, Promise<ServedScript>>();

function served(
  name: string,
  source: string,
  config: EdgeConfig | undefined,
): Promise<ServedScript> {
  let cache = servedAsBuilt;
  if (config) {
    cache = servedByConfig.get(config) ?? new Map();
    servedByConfig.set(config, cache);
  }
  let entry = cache.get(name);
  if (!entry) {
    // Event names and tags are checked by config.ts ([A-Za-z0-9_.-]): JSON that is also JS.
    const body = config
      ? source.replace(PIXEL_EVENTS_PLACEHOLDER, JSON.stringify(pixelEventIds(config)))
      : source;
    entry = sha256Etag(body).then((etag) => ({ body, etag }));
    cache.set(name, entry);
  }
  return entry;
}

/**
 * Whether an `If-None-Match` value matches `etag`. RFC 9110 section 13.1.2:
 * `*` matches, and the comparison is weak (a `W/` prefix is ignored).
 */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

function serve(name: string, source: string) {
  return async function clientScript(c: Context<AppEnv>) {
    const result = c.get('config');
    const { body, etag } = await served(name, source, result.ok ? result.config : undefined);
    const headers = {
      ETag: etag,
      'Cache-Control': CACHE_CONTROL,
      'X-Content-Type-Options': 'nosniff',
      // With several pixels the script depends on the page asking for it.
      ...(settingsOf(result).pixels.length > 1 ? { Vary: 'Origin, Referer' } : {}),
    };
    if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'Content-Type': 'text/javascript; charset=utf-8' });
  };
}

export const scriptRoute = new Hono<AppEnv>()
  // Each site gets its own pixel's events to mirror.
  .use('*', pixelByOrigin)
  .get('/xcapi.js', serve('script', CLIENT_SCRIPT))
  .get('/xcapi-datalayer.js', serve('datalayer', DATA_LAYER_SCRIPT))
  .get('/xcapi-consent.js', serve('consent', CONSENT_SCRIPT));
