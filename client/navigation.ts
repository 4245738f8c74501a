/**
 * @module
 * Single-page apps change the URL without loading a page: `history.pushState`,
 * `replaceState` and the back button (`popstate`). The script follows them so a
 * click id that arrives in a client-side navigation is kept too.
 */

/**
 * Calls `onUrlChange` after every `pushState` / `replaceState` (wrapped: the page's
 * call itself is unchanged) and on `popstate`.
 *
 * @example
 * followNavigation(() => console.log(location.search));
 */
export function followNavigation(onUrlChange: () => void): void {
  const changed = () => {
    try {
      onUrlChange();
    } catch {}
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      changed();
    };
  }
  addEventListener('popstate', changed);
}
