/**
 * @module
 * `GET /xcapi.js`: the browser script, built by scripts/build-client.ts into
 * edge/generated/client-script.ts (run `npm run build` first), served from memory.
 *
 * Caching: the tag's URL carries no version (sites paste it once), so a long
 * `max-age` would pin browsers to an old script for that long after a deploy.
 * Five minutes bounds that staleness; the strong ETag (SHA-256 of the bytes)
 * makes every revalidation after that a body-less 304.
 */
import { Hono } from 'hono';
import { CLIENT_SCRIPT, CLIENT_SCRIPT_ETAG } from '../generated/client-script.ts';
import type { AppEnv } from '../http/context.ts';

const CACHE_CONTROL = 'public, max-age=300';

/**
 * Whether an `If-None-Match` value matches the script's ETag. RFC 9110 section 13.1.2:
 * `*` matches, and the comparison is weak (a `W/` prefix is ignored).
 */
function matchesEtag(ifNoneMatch: string | undefined): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === CLIENT_SCRIPT_ETAG);
}

export const scriptRoute = new Hono<AppEnv>().get('/xcapi.js', function clientScript(c) {
  const headers = {
    ETag: CLIENT_SCRIPT_ETAG,
    'Cache-Control': CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
  };
  if (matchesEtag(c.req.header('if-none-match'))) return c.body(null, 304, headers);
  return c.body(CLIENT_SCRIPT, 200, {
    ...headers,
    'Content-Type': 'text/javascript; charset=utf-8',
  });
});
