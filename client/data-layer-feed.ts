/**
 * @module
 * Every entry of `window.dataLayer`: those pushed before and every later push.
 * `push` is wrapped, not replaced: the original (Google Tag Manager's own, when it
 * loaded first) still runs first, and a tag manager loading later wraps ours the
 * same way. gtag() pushes its `arguments` object, GTM plain objects: both arrive as pushed.
 */

/** Calls `onEntry` for each dataLayer entry, past and future; `onEntry` must not throw. */
export function followDataLayer(onEntry: (entry: unknown) => void): void {
  const win = globalThis as { dataLayer?: unknown[] };
  win.dataLayer ||= [];
  const layer = win.dataLayer;
  layer.forEach(onEntry);
  const push = layer.push;
  layer.push = function (this: unknown[], ...entries: unknown[]) {
    const length = push.apply(this, entries);
    entries.forEach(onEntry);
    return length;
  };
}
