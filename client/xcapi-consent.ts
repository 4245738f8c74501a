/**
 * @module
 * The consent adapter (`dist/xcapi-consent.js`, an IIFE): the site's consent banner,
 * through Google Consent Mode v2 on the dataLayer and IAB TCF v2.2's `__tcfapi`,
 * drives the main script (loaded with `data-consent="pending"`) by its public
 * commands: `xcapi('consent', true)` on a grant, `xcapi('consent', false)` when a
 * grant is withdrawn. Either script may load first (calls go through the queue
 * stub), and consent the banner gave before either loaded counts.
 *
 *     <script async src="https://shop.example/xcapi.js" data-consent="pending"></script>
 *     <script async src="https://shop.example/xcapi-consent.js" data-tcf-vendor="123"></script>
 *
 * A CMP that loads after this script is looked for a while (`CMP_LOOKS`); one that
 * never answers keeps consent pending, and one found after Consent Mode granted
 * withdraws that grant until it answers.
 */
import { applyConsentCommand, type ConsentModeState, consentModeGranted } from './consent-mode.ts';
import { consentSources } from './consent-sources.ts';
import { followDataLayer } from './data-layer-feed.ts';
import { findTcfApi, tcfGranted } from './tcf.ts';
import { callXcapi } from './xcapi-stub.ts';

/** How often, and how many times, to look for a TCF API that is not there yet: 20 s in all. */
const CMP_LOOK_MS = 250;
const CMP_LOOKS = 80;

if (typeof document !== 'undefined') {
  try {
    const vendorId = document.currentScript?.getAttribute('data-tcf-vendor');
    const answer = consentSources((granted) => callXcapi('consent', granted));

    let looks = 0;
    const listenToTcf = () => {
      const tcfApi = findTcfApi();
      if (tcfApi) {
        answer('tcf', undefined);
        // Called back on load, when the banner shows and on each answer of the visitor.
        tcfApi('addEventListener', 2, (tcData, success) =>
          answer('tcf', tcfGranted(tcData, success, vendorId)),
        );
      } else if (++looks < CMP_LOOKS) setTimeout(listenToTcf, CMP_LOOK_MS);
    };
    // TCF first: a CMP already on the page holds back what Consent Mode grants.
    listenToTcf();

    const consentMode: ConsentModeState = { defaults: {}, updates: {} };
    followDataLayer((entry) => {
      try {
        if (applyConsentCommand(consentMode, entry)) answer('gcm', consentModeGranted(consentMode));
      } catch {}
    });
  } catch {}
}
