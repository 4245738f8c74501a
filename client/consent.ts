/**
 * @module
 * Whether the visitor lets us keep and send the click id: Global Privacy Control
 * (an opt-out nobody can override) and the site's own consent state. Consent is
 * kept in memory only: storing it would itself be storage, and consent platforms
 * call `xcapi('consent', ...)` on every page anyway.
 */

/** `granted`: work normally; `pending`: hold everything; `denied`: do nothing. */
export type ConsentState = 'granted' | 'pending' | 'denied';

/**
 * True when the browser sends Global Privacy Control (`navigator.globalPrivacyControl`).
 *
 * @example
 * if (globalPrivacyControl()) return; // store and send nothing
 */
export function globalPrivacyControl(): boolean {
  return (
    (navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl === true
  );
}
