/**
 * @module
 * The main-thread benchmark's baseline: the least a correct browser script
 * does on an ad landing, written by hand as directly as a page allows. It
 * does what `dist/xcapi.js` does when a visitor arrives from an ad and
 * nothing else: reads its own tag, honours consent and Global Privacy
 * Control, takes the click id from the URL, keeps it in the `_twclid` cookie
 * (the X pixel's URI-encoded JSON, 30 days) and in localStorage, and posts it
 * to the edge's `/click`. No SPA navigation, no forms, no conversions, no
 * command queue: what the script does beyond this is what the
 * xcapi/minimal-capture ratio prices.
 */

/**
 * The script text, served as is (a classic script, like `dist/xcapi.js`).
 *
 * @example
 * await loadLanding(context, MINIMAL_CAPTURE_SCRIPT);
 */
export const MINIMAL_CAPTURE_SCRIPT = `(() => {
  // Only set while a classic script first runs, which is now.
  const tag = document.currentScript;
  // A consent platform loads the script as pending until the visitor chooses.
  if (tag?.getAttribute('data-consent') === 'pending' || navigator.globalPrivacyControl === true) return;
  const twclid = /[?&]twclid=([\\w-]{1,128})(?:[&#]|$)/.exec(location.search)?.[1];
  if (!twclid) return;
  // The edge is where the script came from, unless the tag names it.
  const endpoint = (
    tag?.getAttribute('data-endpoint') ?? tag?.src.replace(/[^/]*([?#].*)?$/, '') ?? ''
  ).replace(/\\/+$/, '');
  const value = JSON.stringify({ twclid, timestamp: Date.now() });
  // Storage can throw (a sandboxed frame); the edge still gets the click id.
  try {
    document.cookie = '_twclid=' + encodeURIComponent(value) + '; path=/; expires=' +
      new Date(Date.now() + 30 * 864e5).toUTCString() + '; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
    localStorage.setItem('_twclid', value);
  } catch {}
  // A fetch, not sendBeacon: the edge answers with its own Set-Cookie.
  fetch(endpoint + '/click', {
    method: 'POST',
    body: JSON.stringify({ twclid }),
    keepalive: true,
    credentials: 'include',
  }).catch(() => {});
})();
`;
