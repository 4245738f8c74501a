/**
 * @module
 * The GA4 dataLayer bridge (`dist/xcapi-datalayer.js`, an IIFE), a tag of its own
 * beside the main script's so pages without GA4 events don't load it:
 *
 *     <script async src="https://shop.example/xcapi-datalayer.js" data-datalayer></script>
 *
 * `data-datalayer` optionally changes the GA4 event map (see `ga4EventMap`). Mapped
 * GA4 events become `xcapi('track', ...)` calls (through the queue stub until the
 * main script runs), so consent, Global Privacy Control and the mirror to X's pixel
 * apply to them as to any other.
 */
import { ga4EventMap, watchDataLayer } from './data-layer.ts';
import { callXcapi } from './xcapi-stub.ts';

if (typeof document !== 'undefined') {
  try {
    const spec = document.currentScript?.getAttribute('data-datalayer') ?? '';
    watchDataLayer(
      ga4EventMap(spec),
      // The configured events, written in by the edge as in client/xcapi.ts.
      globalThis.XCAPI_PIXEL_EVENTS,
      (event, data) => callXcapi('track', event, data),
    );
  } catch {}
}
