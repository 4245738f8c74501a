/**
 * @module
 * Sends JSON to the edge so it survives the page unloading: `navigator.sendBeacon`
 * with a `text/plain` Blob (any other type throws in Chrome, and text/plain needs no
 * CORS preflight). No `fetch` fallback: every browser the build targets has
 * sendBeacon, and a beacon it refuses (over the 64 KiB in-flight quota) would be
 * refused as a keepalive fetch too, since both share that quota.
 * Never throws.
 */

/** Beacons and keepalive fetches share a 64 KiB in-flight quota; stay clear of it. */
export const MAX_BEACON_BYTES = 60_000;

const textBlob = (payload: object) => new Blob([JSON.stringify(payload)], { type: 'text/plain' });

/**
 * Sends `payload` as JSON; drops `contents` if the whole is too big, and sends
 * nothing if it is still too big.
 *
 * @example
 * sendJson('https://shop.example/events', { event: 'purchase', conversion_id: 'o-1' });
 */
export function sendJson(url: string, payload: Record<string, unknown>): void {
  try {
    let body = textBlob(payload);
    // JSON.stringify leaves out undefined members: the conversion goes without its items.
    if (body.size > MAX_BEACON_BYTES) body = textBlob({ ...payload, contents: undefined });
    if (body.size <= MAX_BEACON_BYTES) navigator.sendBeacon(url, body);
  } catch {}
}
