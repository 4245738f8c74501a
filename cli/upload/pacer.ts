/**
 * @module
 * Paces batches to a number of events per window (X counts its quota per
 * 15 minutes). Batch n may leave once the events before it fit the rate
 * since the start, so the average never exceeds it; a pause (a slow edge, a
 * retry) earns no credit for a later burst.
 */
import { SETTINGS } from '../../edge/settings.ts';

/** Time, injectable so tests need not wait. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Default pace: room for live traffic within X's quota (`X_RATE_LIMIT_EVENTS`). */
export const DEFAULT_RATE = 50_000;

/** X's quota window, as the edge counts it by default. */
export const RATE_WINDOW_MS = SETTINGS.X_RATE_LIMIT_WINDOW_SECONDS.default * 1000;

export interface PacerOptions {
  /** Events per window; 0 sends unpaced. */
  eventsPerWindow: number;
  windowMs?: number;
  clock?: Clock;
}

export interface Pacer {
  /** Resolves when a batch of `count` events may be sent, and counts it as sent. */
  wait(count: number): Promise<void>;
}

/**
 * Creates a pacer.
 *
 * @example
 * const pacer = createPacer({ eventsPerWindow: 50_000 });
 * for (const batch of batches) { await pacer.wait(batch.length); await send(batch); }
 */
export function createPacer({
  eventsPerWindow,
  windowMs = RATE_WINDOW_MS,
  clock = systemClock,
}: PacerOptions): Pacer {
  let start: number | undefined;
  let sent = 0;
  return {
    async wait(count) {
      if (eventsPerWindow <= 0) return;
      const now = clock.now();
      start ??= now;
      const due = start + (sent / eventsPerWindow) * windowMs;
      if (due > now) await clock.sleep(due - now);
      // Behind schedule: move the start up so the lost time is not made up in a burst.
      else start = now - (sent / eventsPerWindow) * windowMs;
      sent += count;
    },
  };
}
