/**
 * @module
 * How long a message waits before its next delivery attempt. Pure functions:
 * the consumer passes the result to `msg.retry({ delaySeconds })`.
 */

/** Longest wait after a transient failure: 15 minutes (`RETRY_MAX_SECONDS` overrides). */
export const MAX_TRANSIENT_DELAY_SECONDS = 15 * 60;

/** Bounds of the wait while X says our credentials or pixel are wrong (401/403/404). */
export const MISCONFIGURED_MIN_DELAY_SECONDS = 15 * 60;
export const MISCONFIGURED_MAX_DELAY_SECONDS = 60 * 60;
/** Cloudflare's ceiling for `delaySeconds` (12 hours). */
const QUEUE_MAX_DELAY_SECONDS = 43_200;

/**
 * Exponential backoff with "equal jitter" after a 5xx, network error or timeout:
 * the ceiling `base * 2^(attempts-1)` (capped at `max`, 15 minutes) doubles per attempt
 * and the delay is drawn from its upper half, so delays grow with attempts while
 * retries of one failed batch spread out instead of hitting X together again.
 *
 * @param attempts `msg.attempts` (1 on the first delivery).
 * @param baseSeconds `RETRY_BASE_SECONDS` (default 5).
 * @param random a number in [0, 1), injectable for tests.
 * @param maxSeconds `RETRY_MAX_SECONDS` (default 15 minutes).
 * @example
 * transientRetryDelay(1, 5, () => 0.99) // 5 (ceiling 5: between 3 and 5)
 * transientRetryDelay(4, 5, () => 0)    // 20 (ceiling 40: between 20 and 40)
 */
export function transientRetryDelay(
  attempts: number,
  baseSeconds: number,
  random: () => number = Math.random,
  maxSeconds: number = MAX_TRANSIENT_DELAY_SECONDS,
): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30);
  const ceiling = Math.min(baseSeconds * 2 ** exponent, maxSeconds);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * The wait X asked for (429 `Retry-After` / `x-rate-limit-reset`, or our own
 * budget), plus up to 10% jitter so a backlog does not return all at once.
 */
export function rateLimitedRetryDelay(
  retryAfterSeconds: number,
  random: () => number = Math.random,
): number {
  const wait = Math.max(1, Math.ceil(retryAfterSeconds));
  return Math.min(wait + Math.floor(wait * 0.1 * random()), QUEUE_MAX_DELAY_SECONDS);
}

/**
 * Wait after 401/403/404: nothing changes until someone fixes the credentials or
 * the pixel, so retry rarely (15 minutes, doubling to an hour) but never drop:
 * with `max_retries = 100` that keeps the conversions for more than 3 days.
 *
 * @example
 * misconfiguredRetryDelay(1) // 900
 * misconfiguredRetryDelay(5) // 3600
 */
export function misconfiguredRetryDelay(attempts: number): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 2);
  return Math.min(MISCONFIGURED_MIN_DELAY_SECONDS * 2 ** exponent, MISCONFIGURED_MAX_DELAY_SECONDS);
}
