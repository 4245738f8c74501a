/**
 * Calls `onUrlChange` after every `history.pushState` / `replaceState` and on
 * `popstate`, so a click id arriving by client-side navigation is kept too. The
 * page's own history calls are wrapped, not changed: `onUrlChange` must not throw.
 */
export function followNavigation(onUrlChange: () => void): void {
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History) {
      // biome-ignore lint/complexity/noArguments: passes on whatever the page passed
      original.apply(this, arguments as unknown as Parameters<History['pushState']>);
      onUrlChange();
    };
  }
  addEventListener('popstate', onUrlChange);
}
