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
import { createTracker, type RunCommand } from './tracker.ts';
import type { TrackData, XcapiSettings } from './types.ts';

export type { TrackContent, TrackData, XcapiSettings } from './types.ts';

let run: RunCommand | undefined;
let days = 30;

/**
 * Starts the script with these settings (defaults: this origin, 30 days, granted).
 * Only the first call counts.
 *
 * @example
 * init({ endpoint: '/xcapi', cookieDays: 90 });
 */
export function init(settings: Partial<XcapiSettings> = {}): void {
  if (run || typeof document === 'undefined') return;
  try {
    days = settings.cookieDays && settings.cookieDays > 0 ? settings.cookieDays : 30;
    run = createTracker({
      endpoint: (settings.endpoint || '').replace(/\/+$/, ''),
      cookieDays: days,
      consent: settings.consent === 'pending' ? 'pending' : 'granted',
    });
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
 *
 * @example
 * const twclid = clickId();
 */
export function clickId(): string | undefined {
  return typeof document === 'undefined' ? undefined : readClickId(days);
}
