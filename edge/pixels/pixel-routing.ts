/**
 * @module
 * Which pixel a request is for, decided from what it carries: a browser call
 * by its origin (or a page by its host), a server call by the pixel it names
 * and the key it holds. Pure: configuration and strings in, a pixel or an
 * error in X's shape out. The chosen pixel is handed on as `pixelView`, the
 * configuration with that pixel's id, events, origins and credentials, so
 * code after routing reads one pixel as it always did.
 */
import type { EdgeConfig, PixelConfig } from '../config.ts';
import { invalidParameter, XApiError } from '../errors.ts';
import { canonicalOrigin, type PixelEntry } from './pixel-config.ts';

const views = new WeakMap<EdgeConfig, Map<string, EdgeConfig>>();

/**
 * The configuration as one pixel sees it, built once per pixel and
 * configuration (its `events` object stays the same, which caches rely on).
 * With one pixel it is the configuration itself.
 */
export function pixelView(config: EdgeConfig, pixel: PixelConfig): EdgeConfig {
  if (config.pixels.length === 1 && config.pixels[0] === pixel) return config;
  let byId = views.get(config);
  if (!byId) {
    byId = new Map();
    views.set(config, byId);
  }
  let view = byId.get(pixel.id);
  if (!view) {
    view = {
      ...config,
      pixelId: pixel.id,
      events: pixel.events,
      allowedOrigins: pixel.origins,
      credentials: pixel.credentials,
    };
    byId.set(pixel.id, view);
  }
  return view;
}

/** The pixel with this id (pixel ids are case-insensitive at X). */
export function pixelNamed(config: EdgeConfig, id: string): PixelConfig | undefined {
  const wanted = id.toLowerCase();
  return config.pixels.find((pixel) => pixel.id.toLowerCase() === wanted);
}

/**
 * The pixel a queued conversion is delivered as. With one pixel configured its
 * events and credentials serve every message, also one queued under an earlier
 * `X_PIXEL_ID` (delivered to the pixel it was accepted for, as always); with
 * several, only a configured pixel's messages are delivered.
 */
export function queuedPixel(config: EdgeConfig, pixelId: string): PixelConfig | undefined {
  const named = pixelNamed(config, pixelId);
  if (named) return named;
  const [only, ...others] = config.pixels;
  return only && others.length === 0 ? { ...only, id: pixelId } : undefined;
}

const byOrigin = new WeakMap<readonly PixelConfig[], ReadonlyMap<string, PixelConfig>>();

/** Canonical origin to pixel, once per configuration. */
function originIndex(pixels: readonly PixelConfig[]): ReadonlyMap<string, PixelConfig> {
  let index = byOrigin.get(pixels);
  if (!index) {
    const built = new Map<string, PixelConfig>();
    for (const pixel of pixels) {
      for (const origin of pixel.origins) built.set(canonicalOrigin(origin), pixel);
    }
    byOrigin.set(pixels, built);
    index = built;
  }
  return index;
}

/**
 * The pixel whose `origins` list this (canonical) origin: the pixel of a
 * browser call.
 *
 * @example
 * pixelForOrigin(config, 'https://shop-a.example')?.id; // 'o9d7n'
 */
export function pixelForOrigin(
  config: EdgeConfig,
  origin: string | undefined,
): PixelConfig | undefined {
  return origin === undefined ? undefined : originIndex(config.pixels).get(origin);
}

/** The pixel one of whose origins has this host (edge capture sees pages, not origins). */
export function pixelForHost(config: EdgeConfig, host: string): PixelConfig | undefined {
  const wanted = host.toLowerCase();
  return config.pixels.find((pixel) =>
    pixel.origins.some((origin) => {
      try {
        return new URL(origin).host === wanted;
      } catch {
        return false;
      }
    }),
  );
}

/** How many pixels share `pixel`'s ad account (and so its quota): 1 when it names none. */
export function budgetShare(config: EdgeConfig, pixel: Pick<PixelEntry, 'account'>): number {
  if (pixel.account === undefined) return 1;
  return config.pixels.filter((p) => p.account === pixel.account).length || 1;
}

/** The pixels a server key may read: all for `SERVER_KEY`, its own for `SERVER_KEY_<ID>`. */
export function visiblePixels(
  config: EdgeConfig,
  keyPixel: string | undefined,
): readonly PixelConfig[] {
  if (keyPixel === undefined) return config.pixels;
  const own = pixelNamed(config, keyPixel);
  return own ? [own] : [];
}

function forbidden(keyPixel: string): XApiError {
  return new XApiError(403, {
    code: 'FORBIDDEN',
    message: `This key may address pixel ${keyPixel} only`,
    parameter: 'pixel',
  });
}

/**
 * The pixel a server call addresses: the one it names (`pixel` field or
 * `?pixel=`), or the only one there is, or its key's.
 *
 * @throws XApiError 400 when several pixels are served and none or an unknown
 *   one is named; 403 when a pixel's own key names another.
 */
export function serverPixel(
  config: EdgeConfig,
  named: unknown,
  keyPixel: string | undefined,
): PixelConfig {
  const given = named === undefined || named === null || named === '' ? undefined : named;
  if (given !== undefined && typeof given !== 'string') {
    throw invalidParameter('pixel', 'pixel must be the id of a pixel, e.g. "o9d7n"');
  }
  if (keyPixel !== undefined) {
    // A pixel's key learns nothing about other pixels, not even whether they exist.
    if (given !== undefined && given.toLowerCase() !== keyPixel.toLowerCase()) {
      throw forbidden(keyPixel);
    }
    const own = pixelNamed(config, keyPixel);
    if (!own) throw forbidden(keyPixel);
    return own;
  }
  if (given === undefined) {
    const [only, ...others] = config.pixels;
    if (only && others.length === 0) return only;
    throw invalidParameter(
      'pixel',
      `pixel is required: this edge serves pixels ${config.pixels.map((p) => p.id).join(', ')}`,
    );
  }
  const pixel = pixelNamed(config, given);
  if (!pixel) {
    throw invalidParameter(
      'pixel',
      `pixel (${given.slice(0, 16)}) is not served here: pixels are ${config.pixels.map((p) => p.id).join(', ')}`,
    );
  }
  return pixel;
}
