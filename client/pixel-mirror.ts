/**
 * @module
 * X's pixel side by side: when `twq` is on the page, each conversion the script
 * sends also goes to the pixel as `twq('event', 'tw-<pixel>-<tag>', ...)` with the
 * same `conversion_id`, so X counts it once. The pixel gets the conversion's
 * fields (value, currency, contents, id, ...) except the email and phone: those go
 * only to the edge, which hashes them.
 */
import type { TrackData } from './types.ts';

/**
 * Calls X's pixel (`window.twq`) for this conversion when the pixel is on the page
 * and `pixelEventId` (`tw-<pixel>-<tag>`) is known; otherwise does nothing.
 *
 * @example
 * mirrorToPixel('tw-o9d7n-o9d2g', { email: 'a@b.co', value: 20, conversion_id: 'order-1' });
 * // calls twq('event', 'tw-o9d7n-o9d2g', { value: 20, conversion_id: 'order-1' })
 */
export function mirrorToPixel(pixelEventId: string | undefined, conversion: TrackData): void {
  const twq = (globalThis as { twq?: (...args: unknown[]) => void }).twq;
  const { email, phone, ...params } = conversion;
  if (pixelEventId && typeof twq === 'function') twq('event', pixelEventId, params);
}
