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

const win = globalThis as typeof globalThis & { xcapi?: XcapiFunction };

// Loaded twice (two tags)? The first copy already runs: a second would report every form twice.
if (typeof document !== 'undefined' && !win.xcapi?.loaded) {
  try {
    // Only set while the script first runs, which is now.
    const script = document.currentScript as HTMLScriptElement | null;
    const data = (name: string) => script?.getAttribute(`data-${name}`);
    const days = Number(data('cookie-days'));
    const run = createTracker({
      // Default: the origin and directory the script itself was loaded from.
      // Without a script URL (an inline copy), the page's own origin.
      endpoint: (data('endpoint') ?? (script?.src ? new URL('.', script.src).href : '')).replace(
        /\/+$/,
        '',
      ),
      cookieDays: days > 0 ? days : 30,
      consent: data('consent') === 'pending' ? 'pending' : 'granted',
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
