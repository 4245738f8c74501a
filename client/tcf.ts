/**
 * @module
 * IAB TCF v2.2 (`__tcfapi`). Granted when GDPR does not apply, or when purposes 1
 * (store and/or access information on a device) and 7 (measure advertising
 * performance) are consented, and the vendor the site names, if it names one. A
 * failed or missing answer is not consent.
 *
 * The API is `window.__tcfapi` (the CMP's stub queues calls until the CMP loads);
 * in a frame without it, the CMP lives in the ancestor that holds a child frame
 * named `__tcfapiLocator`, reached by `postMessage`.
 */

/** The parts of TCF's `tcData` read here. */
export interface TcData {
  gdprApplies?: boolean;
  eventStatus?: string;
  purpose?: { consents?: Record<string, boolean> };
  vendor?: { consents?: Record<string, boolean> };
}

type TcfCallback = (tcData: TcData | undefined, success: boolean) => void;

/** `__tcfapi(command, version, callback)`. */
export type TcfApi = (command: string, version: number, callback: TcfCallback) => void;

/**
 * Whether one `addEventListener` answer grants consent.
 *
 * @example
 * tcfGranted({ gdprApplies: true, purpose: { consents: { 1: true, 7: true } } }, true); // true
 */
export function tcfGranted(
  tcData: TcData | undefined,
  success: boolean,
  vendorId?: string | null,
): boolean {
  if (!success || !tcData) return false;
  const purposes = tcData.purpose?.consents;
  return (
    tcData.gdprApplies === false ||
    (!!purposes?.[1] && !!purposes[7] && (!vendorId || !!tcData.vendor?.consents?.[vendorId]))
  );
}

/** `__tcfapi` through `postMessage` to `frame`, the window that holds the locator. */
function tcfApiInFrame(frame: Window): TcfApi {
  const callbacks: Record<string, TcfCallback> = {};
  addEventListener('message', (event) => {
    try {
      // Some CMPs answer with the message as a JSON string.
      const data = typeof event.data === 'string' ? JSON.parse(event.data) : event.data;
      const answer = data?.__tcfapiReturn;
      callbacks[answer?.callId]?.(answer.returnValue, answer.success);
    } catch {}
  });
  return (command, version, callback) => {
    const callId = `xcapi${Math.random()}`;
    callbacks[callId] = callback;
    frame.postMessage({ __tcfapiCall: { command, version, callId } }, '*');
  };
}

/** The page's TCF API, in this window or through an ancestor's locator frame; undefined if none (yet). */
export function findTcfApi(): TcfApi | undefined {
  const own = (globalThis as { __tcfapi?: unknown }).__tcfapi;
  if (typeof own === 'function') return own as TcfApi;
  for (let frame: Window = window; ; frame = frame.parent) {
    try {
      // A child frame's name is readable across origins.
      if (frame.frames['__tcfapiLocator' as unknown as number]) return tcfApiInFrame(frame);
    } catch {}
    // The top window is its own parent.
    if (frame === frame.parent) return undefined;
  }
}
