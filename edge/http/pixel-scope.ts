/**
 * @module
 * Puts the request's pixel on the context: after these, `c.get('config')`
 * (and `requireConfig`) is the configuration as that pixel sees it
 * (edge/pixels/pixel-routing.ts), so routes read one pixel's id, events,
 * origins and credentials as with a one-pixel configuration.
 * - browser calls and scripts: `pixelByOrigin`, from `Origin` or `Referer`,
 *   else the host the page was served on (edge capture);
 * - server calls: `scopeToPixel(c, named)`, from the `pixel` they name and
 *   the key they hold.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type ConfigResult, type EdgeConfig, settingsOf } from '../config.ts';
import {
  pixelForHost,
  pixelForOrigin,
  pixelView,
  serverPixel,
  visiblePixels,
} from '../pixels/pixel-routing.ts';
import type { AppEnv } from './context.ts';
import { requestOrigin } from './origin-policy.ts';

/** The configuration result narrowed to one pixel, valid or not. */
function narrowed(result: ConfigResult, view: (config: EdgeConfig) => EdgeConfig): ConfigResult {
  return result.ok
    ? { ok: true, config: view(result.config) }
    : { ...result, partial: view(result.partial) };
}

/**
 * Middleware: a browser call (or a script fetched by a page) is for the pixel
 * of its origin. A call from no pixel's origin keeps the whole configuration,
 * whose checks refuse it as before. Server calls are left to `scopeToPixel`.
 */
export const pixelByOrigin = createMiddleware<AppEnv>(async function pixelByOrigin(c, next) {
  const result = c.get('config');
  const config = settingsOf(result);
  const caller = c.get('caller');
  const server = caller?.ok === true && caller.caller === 'server';
  if (config.pixels.length > 1 && !server) {
    const origin = requestOrigin(c.req.raw.headers);
    const pixel =
      origin === undefined
        ? pixelForHost(config, new URL(c.req.url).host)
        : pixelForOrigin(config, origin);
    if (pixel)
      c.set(
        'config',
        narrowed(result, (whole) => pixelView(whole, pixel)),
      );
  }
  await next();
});

/** The pixel a server key is limited to (`SERVER_KEY_<ID>`), or undefined for `SERVER_KEY`. */
export function keyPixel(c: Context<AppEnv>): string | undefined {
  const caller = c.get('caller');
  return caller?.ok === true ? caller.pixel : undefined;
}

/**
 * Narrows the context to the pixel a server call addresses (`named`, else
 * `?pixel=`) and returns that pixel's view of the configuration.
 *
 * @throws XApiError 400 for a missing or unknown pixel among several, 403 for
 *   another pixel than its key's.
 */
export function scopeToPixel(c: Context<AppEnv>, named?: unknown): EdgeConfig {
  const result = c.get('config');
  const whole = settingsOf(result);
  const pixel = serverPixel(whole, named ?? c.req.query('pixel'), keyPixel(c));
  c.set(
    'config',
    narrowed(result, (config) => pixelView(config, pixel)),
  );
  return pixelView(whole, pixel);
}

/** Removes and returns the body's `pixel` field: it says where the events go, it is no part of one. */
export function takePixelField(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || !Object.hasOwn(json, 'pixel')) return undefined;
  const record = json as Record<string, unknown>;
  const pixel = record.pixel;
  delete record.pixel;
  return pixel;
}

/** Each pixel the server key may read, as its view of the configuration. */
export function visibleViews(c: Context<AppEnv>, config: EdgeConfig): EdgeConfig[] {
  return visiblePixels(config, keyPixel(c)).map((pixel) => pixelView(config, pixel));
}
