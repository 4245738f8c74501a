/**
 * @module
 * JSON to the edge that survives the page unloading: `navigator.sendBeacon` with a
 * string body (sent as `text/plain`, so no CORS preflight), else a `keepalive` fetch
 * where sendBeacon is missing or refuses. Never throws, never rejects.
 */
import { debugLog } from './debug-log.ts';

/** Beacons and keepalive fetches share a 64 KiB in-flight quota; stay clear of it. */
const MAX_BEACON_BYTES = 60_000;

/** Over the limit in UTF-8 bytes. */
const tooBig = (body: string) => new Blob([body]).size > MAX_BEACON_BYTES;

/**
 * Sends `payload` as JSON, without its `contents` if the whole is too big, or not at
 * all if it is still too big. `answered`: a fetch, for a call made for its response
 * (the edge's `Set-Cookie`).
 */
export function sendJson(url: string, payload: Record<string, unknown>, answered?: boolean): void {
  try {
    let body = JSON.stringify(payload);
    if (tooBig(body)) {
      // JSON leaves undefined members out; `payload` is the caller's throwaway object.
      payload.contents = undefined;
      body = JSON.stringify(payload);
    }
    // sendBeacon returns false when its queue is full: the fetch may still go.
    const failed = () => debugLog(url, 'not sent: failed');
    if (tooBig(body)) failed();
    else if (answered || !navigator.sendBeacon?.(url, body)) {
      fetch(url, { method: 'POST', body, keepalive: true, credentials: 'include' }).catch(failed);
    }
  } catch {}
}
