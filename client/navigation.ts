/**
 * @module
 * Single-page apps change the URL without loading a page: `history.pushState`,
 * `replaceState` and the back button (`popstate`). The script follows them so a
 * click id that arrives in a client-side navigation is kept too.
 */

/**
 * Calls `onUrlChange` after every `pushState` / `replaceState` (wrapped: the page's
 * call itself is unchanged) and on `popstate`. `onUrlChange` must not throw: it
 * runs inside the page's own history calls.
 *
 * @example
 * followNavigation(() => console.log(location.search));
 */
export function followNavigation(onUrlChange: () => void): void {
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      onUrlChange();
    };
  }
  addEventListener('popstate', onUrlChange);
}
