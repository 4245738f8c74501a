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

if (typeof document !== 'undefined') {
  try {
    // Only set while the script first runs, which is now.
    const script = document.currentScript as HTMLScriptElement | null;
    const data = (name: string) => script?.getAttribute(`data-${name}`);
    const days = Number(data('cookie-days'));
    const run = createTracker({
      // Default: the origin and directory the script itself was loaded from.
      endpoint: (data('endpoint') ?? new URL('.', script?.src).href).replace(/\/+$/, ''),
      cookieDays: days > 0 ? days : 30,
      consent: data('consent') === 'pending' ? 'pending' : 'granted',
    });
    const win = window as Window & { xcapi?: XcapiFunction };
    const queued = win.xcapi?.q || [];
    win.xcapi = function xcapi() {
      // biome-ignore lint/complexity/noArguments: the public stub queues `arguments` too
      run(arguments);
    } as XcapiFunction;
    for (const args of queued) run(args);
  } catch {}
}
