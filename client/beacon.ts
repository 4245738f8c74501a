/**
 * @module
 * Sends JSON to the edge so it survives the page unloading: `navigator.sendBeacon`
 * with a string body, which goes as `text/plain;charset=UTF-8` (no CORS preflight)
 * and costs the page less than building a Blob; else a `keepalive` fetch with the
 * same body and cookies, where sendBeacon is missing (turned off by a privacy
 * setting or an extension) or refuses the beacon. Never throws, never rejects.
 */

/** Beacons and keepalive fetches share a 64 KiB in-flight quota; stay clear of it. */
export const MAX_BEACON_BYTES = 60_000;

/**
 * Over the limit in UTF-8 bytes. A Blob (costly to make) measures only bodies that
 * could be: a character is 3 bytes at most.
 */
const tooBig = (body: string) =>
  body.length * 3 > MAX_BEACON_BYTES && new Blob([body]).size > MAX_BEACON_BYTES;

/**
 * Sends `payload` as JSON; drops `contents` if the whole is too big, and sends
 * nothing if it is still too big. `answered`: straight to the fetch, for a call made
 * for its answer (the edge's `Set-Cookie`), which every browser applies from a fetch.
 *
 * @example
 * sendJson('https://shop.example/events', { event: 'purchase', conversion_id: 'o-1' });
 * sendJson('https://shop.example/click', { twclid: 'abc123' }, true);
 */
export function sendJson(url: string, payload: Record<string, unknown>, answered?: boolean): void {
  try {
    let body = JSON.stringify(payload);
    // The conversion goes without its items (JSON leaves undefined members out);
    // `payload` is the caller's own throwaway object.
    if (tooBig(body)) {
      payload.contents = undefined;
      body = JSON.stringify(payload);
    }
    // sendBeacon returns false when it will not send (its queue is full): the fetch may still go.
    if (!tooBig(body) && (answered || !navigator.sendBeacon?.(url, body))) {
      fetch(url, { method: 'POST', body, keepalive: true, credentials: 'include' }).catch(() => {});
    }
  } catch {}
}
