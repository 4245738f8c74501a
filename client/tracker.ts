/**
 * @module
 * The script's behaviour in one place, shared by the script-tag build and the ESM
 * build: capture the click id on load, send conversions, apply consent.
 *
 * Consent `pending`: nothing is read, stored or sent. `track` calls are held in memory,
 * in order, and sent when consent is granted (dropped if it is withdrawn); granting
 * also captures the landing URL's `twclid` if it is still in the address bar.
 * Global Privacy Control overrides everything: nothing is stored, held or sent.
 */
import { postText, sendJson } from './beacon.ts';
import { clickIdFromUrl, forgetClickId, readClickId, storeClickId } from './click-id.ts';
import { type ConsentState, globalPrivacyControl } from './consent.ts';
import { addClickIdInput, watchForms } from './forms.ts';
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
export function createTracker({ endpoint, cookieDays, consent }: XcapiSettings): RunCommand {
  const gpc = globalPrivacyControl();
  let state: ConsentState = consent;
  let held: ArrayLike<unknown>[] = [];
  /** This page view's click id, known even when storage is blocked. */
  let clickId: string | undefined;

  const allowed = () => !gpc && state === 'granted';

  const capture = () => {
    clickId = clickIdFromUrl(location.search);
    if (clickId) {
      storeClickId(clickId, cookieDays);
      // The edge's HTTP Set-Cookie outlives Safari's 7-day cap on script-written cookies.
      postText(`${endpoint}/click`, JSON.stringify({ twclid: clickId }));
    } else {
      clickId = readClickId(cookieDays);
    }
  };

  const run: RunCommand = (args) => {
    try {
      const [command, arg, data] = args as [unknown, unknown, TrackData | undefined];
      if (command === 'track' && state === 'pending' && !gpc) held.push(args);
      if (command === 'track' && arg && allowed()) {
        sendJson(`${endpoint}/events`, {
          event: arg,
          ...data,
          twclid: clickId || readClickId(cookieDays),
          // A dedup key when the site passes none (randomUUID needs a secure context).
          conversion_id:
            data?.conversion_id || crypto.randomUUID?.() || `${Math.random()}`.slice(2),
        });
      }
      if (command === 'consent' && arg === true && state !== 'granted') {
        state = 'granted';
        if (!gpc) capture();
        held.splice(0).forEach(run);
      }
      if (command === 'consent' && arg === false) {
        state = 'denied';
        held = [];
        clickId = undefined;
        forgetClickId();
      }
    } catch {}
  };

  if (allowed()) capture();
  watchForms((form, event, data) => {
    if (allowed() && clickId) addClickIdInput(form, clickId);
    run(['track', event, data]);
  });
  return run;
}
