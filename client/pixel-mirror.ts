/**
 * @module
 * X's pixel side by side: with `twq` on the page, each conversion also goes to it
 * with the same `conversion_id`, so X counts it once. Email and phone stay out:
 * only the edge gets them, and hashes them.
 */
import type { TrackData } from './types.ts';

declare global {
  /** X's pixel base code, when the page has it. */
  var twq: ((...args: unknown[]) => void) | undefined;
}

/** `twq('event', 'tw-<pixel>-<tag>', params)` when the pixel and the event id are both there. */
export function mirrorToPixel(pixelEventId: string | undefined, conversion: TrackData): void {
  const { email, phone, ...params } = conversion;
  try {
    if (pixelEventId) globalThis.twq?.('event', pixelEventId, params);
  } catch {}
}
