/**
 * @module
 * The script-tag build (`dist/xcapi.js`, an IIFE). Reads its settings from its own
 * `<script>` tag's `data-` attributes, replays the calls queued by the stub in order,
 * then replaces `window.xcapi` with the real function. Outside a browser (no
 * `document`) it does nothing.
 *
 *     <script async src="https://shop.example/xcapi.js" data-consent="pending"></script>
 *     <script>window.xcapi=window.xcapi||function(){(xcapi.q=xcapi.q||[]).push(arguments)}</script>
 */
import { createTracker } from './tracker.ts';
import type { XcapiFunction } from './types.ts';

declare global {
  /**
   * The configured events (name to `tw-<pixel>-<tag>`) for the mirror to X's pixel.
   * The edge writes them in place of `globalThis.XCAPI_PIXEL_EVENTS` when it serves
   * the script (edge/routes/script.ts); a copy served from elsewhere reads the
   * global, which the page may set.
   */
  var XCAPI_PIXEL_EVENTS: Record<string, string> | undefined;
}

const win = globalThis as typeof globalThis & { xcapi?: XcapiFunction };

// Loaded twice (two tags)? The first copy already runs: a second would report every form twice.
// Outside a browser, `document` throws a ReferenceError, caught like any other failure.
if (!win.xcapi?.loaded) {
  try {
    // Only set while the script first runs, which is now.
    const script = document.currentScript as HTMLScriptElement | null;
    const data = (name: string) => script?.getAttribute(`data-${name}`);
    const days = Number(data('cookie-days'));
    // Default: the origin and directory the script itself was loaded from (its
    // resolved `src` without file name and query). An inline copy has an empty `src`:
    // the page's own origin.
    const run = createTracker({
      endpoint: (data('endpoint') ?? script?.src.replace(/[^/]*([?#].*)?$/, '') ?? '').replace(
        /\/+$/,
        '',
      ),
      cookieDays: days > 0 ? days : 30,
      consent: data('consent') === 'pending' ? 'pending' : 'granted',
      cookieDomain: data('cookie-domain') || undefined,
      pixelEvents: data('pixel') === 'off' ? undefined : globalThis.XCAPI_PIXEL_EVENTS,
    });
    const queued = win.xcapi?.q || [];
    const xcapi: XcapiFunction = function xcapi() {
      // biome-ignore lint/complexity/noArguments: the public stub queues `arguments` too
      run(arguments);
    };
    xcapi.loaded = true;
    win.xcapi = xcapi;
    for (const args of queued) run(args);
  } catch {}
}
