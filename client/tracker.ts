/**
 * @module
 * The script's behaviour in one place, shared by the script-tag build and the ESM
 * build: capture the click id from the URL (on load and on client-side
 * navigation), send conversions (mirrored to X's pixel when it is on the page),
 * apply consent.
 *
 * Load does as little as it can: it reads the URL; a click id found there is
 * stored, and sent to the edge, in a task of its own right after (or as the page
 * is left, if that comes first); the stored click id is read only when a
 * conversion needs it.
 *
 * Consent `pending`: nothing is read, stored or sent. `track` calls are held in memory,
 * in order, and sent when consent is granted (dropped if it is withdrawn); granting
 * also captures the URL's `twclid` if it is still in the address bar. Consent lives
 * in memory only: storing it would itself be storage, and consent platforms call
 * `xcapi('consent', ...)` on every page anyway.
 * Global Privacy Control (`navigator.globalPrivacyControl`) overrides everything:
 * nothing is stored, held or sent.
 */
import { sendJson } from './beacon.ts';
import { clickIdFromUrl, forgetClickId, readClickId, storeClickId } from './click-id.ts';
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
 * The settings are those of `XcapiSettings`, in its order, as arguments (shorter in the
 * minified script than an object); `consent` is taken as given: only `pending` holds back.
 *
 * @example
 * const run = createTracker('https://shop.example', 30, 'granted');
 * run(['track', 'purchase', { value: 20, currency: 'USD', conversion_id: 'order-1' }]);
 */
export function createTracker(
  endpoint: XcapiSettings['endpoint'],
  cookieDays: XcapiSettings['cookieDays'],
  consent?: string | null,
  cookieDomain?: XcapiSettings['cookieDomain'],
  pixelEvents?: XcapiSettings['pixelEvents'],
): RunCommand {
  const gpc =
    (navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl === true;
  let granted = consent !== 'pending';
  /** `track` calls held while consent is pending; undefined once it is given or withdrawn. */
  let held: ArrayLike<unknown>[] | undefined = granted || gpc ? undefined : [];
  /** The click id this page's URL brought, known even when storage is blocked. */
  let clickId: string | undefined;
  /** A click id taken from the URL and not yet stored nor sent to the edge. */
  let unsaved: string | undefined;

  const allowed = () => granted && !gpc;
  const storedClickId = () => clickId || readClickId(cookieDays);

  const save = () => {
    if (unsaved) {
      storeClickId(unsaved, cookieDays, cookieDomain);
      // The edge's HTTP Set-Cookie outlives Safari's cap on script-written cookies.
      // A fetch: the answer is what this call is for.
      sendJson(`${endpoint}/click`, { twclid: unsaved }, true);
      unsaved = undefined;
    }
  };

  /** Keeps a click id found in the current URL (it beats an older stored one). */
  const capture = () => {
    const fromUrl = clickIdFromUrl(location.search);
    if (fromUrl && fromUrl !== clickId && allowed()) {
      unsaved = clickId = fromUrl;
      // In a task of its own, after the script's; or as the page is left (`pagehide`,
      // below), if that comes first, so an immediate navigation keeps it too.
      setTimeout(save);
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
        } else held?.push(args);
      }
      if (command === 'consent') {
        if (!arg) {
          granted = false;
          held = clickId = unsaved = undefined;
          forgetClickId(cookieDomain);
        } else if (!granted) {
          granted = true;
          capture();
          // Sent now: granted, they are not held again.
          held?.forEach(run);
        }
      }
    } catch {}
  };

  capture();
  addEventListener('pagehide', save);
  followNavigation(capture);
  watchForms(
    () => allowed() && storedClickId(),
    (event, data) => run(['track', event, data]),
  );
  return run;
}
