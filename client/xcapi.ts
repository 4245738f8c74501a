/**
 * @module
 * The script-tag build (`dist/xcapi.js`): settings from its own tag's `data-`
 * attributes; replays the stub's queued calls in order, then takes over `window.xcapi`.
 *
 *     <script async src="https://shop.example/xcapi.js" data-consent="pending"></script>
 *     <script>window.xcapi=window.xcapi||function(){(xcapi.q=xcapi.q||[]).push(arguments)}</script>
 */
import { debugOn } from './debug-log.ts';
import { createTracker } from './tracker.ts';
import type { XcapiFunction } from './types.ts';

declare global {
  /**
   * Event name to `tw-<pixel>-<tag>` for the pixel mirror: the edge writes the
   * configured events in its place when it serves the script; a copy served from
   * elsewhere reads the global, which the page may set.
   */
  var XCAPI_PIXEL_EVENTS: Record<string, string> | undefined;
}

const win = globalThis as typeof globalThis & { xcapi?: XcapiFunction };

// A second tag would report every form twice. Outside a browser `document` throws, and is caught.
if (!win.xcapi?.loaded) {
  try {
    // Only set while the script first runs.
    const script = document.currentScript as HTMLScriptElement | null;
    const data = (name: string) => script?.getAttribute(`data-${name}`);
    const days = +(data('cookie-days') as string);
    // Default endpoint: the directory of the script's own URL; inline (no `src`): this origin.
    if (data('debug') != null) debugOn();
    const run = createTracker(
      (data('endpoint') ?? script?.src.replace(/[^/]*([?#].*)?$/, '') ?? '').replace(/\/+$/, ''),
      days > 0 ? days : XCAPI_COOKIE_DAYS,
      data('consent'),
      data('cookie-domain'),
      data('pixel') === 'off' ? undefined : globalThis.XCAPI_PIXEL_EVENTS,
    );
    const queued = win.xcapi?.q;
    const xcapi: XcapiFunction = function xcapi() {
      // biome-ignore lint/complexity/noArguments: the public stub queues `arguments` too
      run(arguments);
    };
    xcapi.loaded = true;
    win.xcapi = xcapi;
    queued?.forEach(run);
  } catch {}
}
