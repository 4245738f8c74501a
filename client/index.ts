/**
 * @module
 * The ESM build (`dist/client.mjs`) for sites that bundle their own JavaScript: the
 * same features as the script tag, as named exports. Call `init` first to pass
 * settings (`track` and `consent` before `init` start with the defaults). Outside a
 * browser (no `document`) every export does nothing.
 *
 * @example
 * import { init, track } from 'x-capi-edge/client';
 * init({ endpoint: 'https://shop.example', consent: 'pending' });
 * track('purchase', { value: 20, currency: 'USD', conversion_id: 'order-1' });
 */
import { readClickId } from './click-id.ts';
import { ga4EventMap, watchDataLayer } from './data-layer.ts';
import { debugOn } from './debug-log.ts';
import { createTracker, type RunCommand } from './tracker.ts';
import type { TrackData, XcapiSettings } from './types.ts';

export type { TrackContent, TrackData, XcapiSettings } from './types.ts';

/**
 * What `init` takes: the settings, with `dataLayer` as on the script tag (`true` for
 * the default GA4 map, or a `ga4_name:event_name,...` string changing it).
 */
export type InitSettings = Partial<XcapiSettings> & {
  dataLayer?: boolean | string;
  /** Console messages for what is not stored or sent, and why (as `data-debug`). */
  debug?: boolean;
};

let run: RunCommand | undefined;
/** The stored click id's lifetime in days, as `init` set it. */
let cookieDays = XCAPI_COOKIE_DAYS;

/**
 * Starts the script with these settings (defaults: this origin, 30 days, granted,
 * host-only cookie, no pixel mirror, no dataLayer, no debug messages). Only the first call counts.
 *
 * @example
 * init({ endpoint: '/xcapi', cookieDays: 90, cookieDomain: 'shop.example' });
 * init({ pixelEvents: { purchase: 'tw-o9d7n-o9d2g' }, dataLayer: true });
 */
export function init(settings: InitSettings = {}): void {
  if (run || typeof document === 'undefined') return;
  try {
    if (settings.debug) debugOn();
    const days = settings.cookieDays;
    if (days && days > 0) cookieDays = days;
    run = createTracker(
      (settings.endpoint || '').replace(/\/+$/, ''),
      cookieDays,
      settings.consent,
      settings.cookieDomain,
      settings.pixelEvents,
    );
    const layer = settings.dataLayer;
    if (layer === true || typeof layer === 'string') {
      watchDataLayer(ga4EventMap(layer === true ? '' : layer), settings.pixelEvents, track);
    }
  } catch {}
}

/**
 * Sends one conversion for a configured event name.
 *
 * @example
 * track('lead', { email: 'ada@example.com' });
 */
export function track(event: string, data?: TrackData): void {
  init();
  run?.(['track', event, data]);
}

/**
 * Grants consent (sends what was held), or withdraws it (deletes the stored click id).
 *
 * @example
 * consent(true);
 */
export function consent(granted: boolean): void {
  init();
  run?.(['consent', granted]);
}

/**
 * The stored click id, if any (for passing on to the site's own backend).
 */
export function clickId(): string | undefined {
  return typeof document === 'undefined' ? undefined : readClickId(cookieDays);
}
