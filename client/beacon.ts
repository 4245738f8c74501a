/**
 * @module
 * Sends JSON to the edge so it survives the page unloading: `navigator.sendBeacon`
 * with a string body, which goes as `text/plain;charset=UTF-8` (no CORS preflight)
 * and costs the page less than building a Blob. No `fetch` fallback: every browser
 * the build targets has sendBeacon, and a beacon it refuses (over the 64 KiB
 * in-flight quota) would be refused as a keepalive fetch too, since both share
 * that quota. Never throws.
 */

/** Beacons and keepalive fetches share a 64 KiB in-flight quota; stay clear of it. */
export const MAX_BEACON_BYTES = 60_000;

/** Over the limit in UTF-8 bytes; a Blob measures only bodies that could be (3 bytes a character at most). */
const tooBig = (body: string) =>
  body.length * 3 > MAX_BEACON_BYTES && new Blob([body]).size > MAX_BEACON_BYTES;

/**
 * Sends `payload` as JSON; drops `contents` if the whole is too big, and sends
 * nothing if it is still too big.
 *
 * @example
 * sendJson('https://shop.example/events', { event: 'purchase', conversion_id: 'o-1' });
 */
export function sendJson(url: string, payload: Record<string, unknown>): void {
  try {
    let body = JSON.stringify(payload);
    // JSON.stringify leaves out undefined members: the conversion goes without its items.
    if (tooBig(body)) body = JSON.stringify({ ...payload, contents: undefined });
    if (!tooBig(body)) navigator.sendBeacon(url, body);
  } catch {}
}
