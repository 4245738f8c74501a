/**
 * @module
 * The script's behaviour, shared by the script-tag and ESM builds: capture the click
 * id from the URL (on load and client-side navigation), send conversions (mirrored to
 * X's pixel when it is there), apply consent.
 *
 * Load does little: a click id in the URL is stored and sent to the edge in a task of
 * its own right after (or as the page is left, if that comes first); the stored id is
 * read only when a conversion needs it.
 *
 * Consent `pending`: nothing is read, stored or sent; `track` calls wait in memory, in
 * order, until consent is granted (dropped if it is withdrawn). Consent itself is not
 * stored (that would be storage): consent platforms call `xcapi('consent', ...)` on
 * every page. Global Privacy Control overrides everything: nothing is stored or sent.
 */
import { sendJson } from './beacon.ts';
import { clickIdFromUrl, forgetClickId, readClickId, storeClickId } from './click-id.ts';
import { newConversionId } from './conversion-id.ts';
import { debugLog, debugOn } from './debug-log.ts';
import { watchForms } from './forms.ts';
import { followNavigation } from './navigation.ts';
import { mirrorToPixel } from './pixel-mirror.ts';
import type { TrackData, XcapiSettings } from './types.ts';

/** Runs one `xcapi(...)` call (or the stub's queued `arguments`); ignores unknown commands, never throws. */
export type RunCommand = (args: ArrayLike<unknown>) => void;

/**
 * Starts the behaviour for this page (once) and returns its command runner. The
 * settings are `XcapiSettings`' fields in order, as arguments: shorter minified than
 * an object. Only consent `pending` holds back.
 */
export function createTracker(
  endpoint: XcapiSettings['endpoint'],
  cookieDays: XcapiSettings['cookieDays'],
  consent?: string | null,
  cookieDomain?: XcapiSettings['cookieDomain'] | null,
  pixelEvents?: XcapiSettings['pixelEvents'],
): RunCommand {
  const gpc = !!(navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl;
  /** Whether storing and sending is allowed: consent, and no Global Privacy Control. */
  let granted = consent !== 'pending' && !gpc;
  /** `track` calls held while consent is pending; undefined once it is given or withdrawn. */
  let held: ArrayLike<unknown>[] | undefined = granted || gpc ? undefined : [];
  /** The click id this page's URL brought, known even when storage is blocked. */
  let clickId: string | undefined;
  /** A click id taken from the URL and not yet stored nor sent to the edge. */
  let unsaved: string | undefined;

  const storedClickId = () => clickId || readClickId(cookieDays);

  const save = () => {
    if (unsaved) {
      storeClickId(unsaved, cookieDays, cookieDomain);
      // The edge's HTTP Set-Cookie outlives Safari's cap on script-written cookies.
      sendJson(`${endpoint}/click`, { twclid: unsaved }, true);
      unsaved = undefined;
    }
  };

  /** Keeps a click id found in the current URL (it beats an older stored one). */
  const capture = () => {
    const fromUrl = clickIdFromUrl(location.search);
    if (fromUrl && fromUrl !== clickId && granted) {
      unsaved = clickId = fromUrl;
      // Off the script's own task; `pagehide` saves it if the page is left first.
      setTimeout(save);
    }
  };

  const run: RunCommand = (args) => {
    try {
      const [command, arg, data] = args as [unknown, unknown, TrackData | undefined];
      if (command === 'track' && arg) {
        if (granted) {
          const conversion = { ...data, conversion_id: data?.conversion_id || newConversionId() };
          const twclid = storedClickId();
          if (!twclid) debugLog(arg, 'no click id');
          sendJson(`${endpoint}/events`, { event: arg, ...conversion, twclid });
          mirrorToPixel(pixelEvents?.[arg as string], conversion);
        } else {
          held?.push(args);
          debugLog(arg, gpc ? 'not sent: GPC' : 'not sent: no consent');
        }
      }
      if (command === 'debug') debugOn();
      if (command === 'consent') {
        if (!arg) {
          granted = false;
          held = clickId = unsaved = undefined;
          forgetClickId(cookieDomain);
        } else if (!granted) {
          granted = !gpc;
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
  watchForms(() => granted && storedClickId(), run);
  return run;
}
