/**
 * @module
 * The script's behaviour in one place, shared by the script-tag build and the ESM
 * build: capture the click id from the URL (on load and on client-side
 * navigation), send conversions (mirrored to X's pixel when it is on the page),
 * apply consent.
 *
 * Load does as little as it can: it reads the URL; a click id found there is
 * stored, and sent to the edge, in a task of its own right after; the stored click
 * id is read only when a conversion needs it.
 *
 * Consent `pending`: nothing is read, stored or sent. `track` calls are held in memory,
 * in order, and sent when consent is granted (dropped if it is withdrawn); granting
 * also captures the URL's `twclid` if it is still in the address bar.
 * Global Privacy Control overrides everything: nothing is stored, held or sent.
 */
import { sendJson } from './beacon.ts';
import { clickIdFromUrl, forgetClickId, readClickId, storeClickId } from './click-id.ts';
import { type ConsentState, globalPrivacyControl } from './consent.ts';
import { newConversionId } from './conversion-id.ts';
import { watchForms } from './forms.ts';
import { followNavigation } from './navigation.ts';
import { mirrorToPixel } from './pixel-mirror.ts';
import type { TrackData, XcapiSettings } from './types.ts';

/**
 * Runs one `xcapi(...)` call, e.g. `['track', 'purchase', {...}]` or `['consent', true]`
 * (or the stub's queued `arguments`). Unknown commands are ignored; never throws.
 */
export type RunCommand = (args: ArrayLike<unknown>) => void;

/**
 * Starts the script's behaviour for one page (call once) and returns its command runner.
 *
 * @example
 * const run = createTracker({ endpoint: 'https://shop.example', cookieDays: 30, consent: 'granted' });
 * run(['track', 'purchase', { value: 20, currency: 'USD', conversion_id: 'order-1' }]);
 */
export function createTracker({
  endpoint,
  cookieDays,
  consent,
  cookieDomain,
  pixelEvents,
}: XcapiSettings): RunCommand {
  let gpc: boolean | undefined;
  let state: ConsentState = consent;
  let held: ArrayLike<unknown>[] = [];
  /** The click id this page's URL brought, known even when storage is blocked. */
  let clickId: string | undefined;

  // Read on first need: most page loads never need it.
  const privacyControl = () => (gpc ??= globalPrivacyControl());
  const allowed = () => state === 'granted' && !privacyControl();
  const storedClickId = () => clickId || readClickId();

  /** Keeps a click id found in the current URL (it beats an older stored one). */
  const capture = () => {
    const fromUrl = clickIdFromUrl(location.search);
    if (fromUrl && fromUrl !== clickId && allowed()) {
      clickId = fromUrl;
      // In a task of its own, after the script's: unless consent is withdrawn meanwhile.
      setTimeout(() => {
        if (clickId !== fromUrl) return;
        storeClickId(fromUrl, cookieDays, cookieDomain);
        // The edge's HTTP Set-Cookie outlives Safari's 7-day cap on script-written cookies.
        sendJson(`${endpoint}/click`, { twclid: fromUrl });
      });
    }
  };

  const run: RunCommand = (args) => {
    try {
      const [command, arg, data] = args as [unknown, unknown, TrackData | undefined];
      if (command === 'track' && arg) {
        if (allowed()) {
          const conversion = { ...data, conversion_id: data?.conversion_id || newConversionId() };
          sendJson(`${endpoint}/events`, { event: arg, ...conversion, twclid: storedClickId() });
          mirrorToPixel(pixelEvents?.[arg as string], conversion);
        } else if (state === 'pending' && !privacyControl()) held.push(args);
      }
      if (command === 'consent') {
        if (arg === true && state !== 'granted') {
          state = 'granted';
          capture();
          held.splice(0).forEach(run);
        }
        if (arg === false) {
          state = 'denied';
          held = [];
          clickId = undefined;
          forgetClickId(cookieDomain);
        }
      }
    } catch {}
  };

  capture();
  followNavigation(capture);
  watchForms(
    () => allowed() && storedClickId(),
    (event, data) => run(['track', event, data]),
  );
  return run;
}
