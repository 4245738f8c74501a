/**
 * @module
 * How routes reach a pixel's `DeliveryLedger` (./delivery-ledger.ts). Kept
 * apart from the Durable Object class so that code importing routes (the
 * benchmarks in Node, for one) does not load `cloudflare:workers`.
 */
import type { Env } from '../env.ts';
import { XApiError } from '../errors.ts';
import { errorName, log } from '../log.ts';
import type { SkippedConversion } from './event-tallies.ts';

/**
 * The pixel's ledger, or undefined when the binding is missing.
 *
 * @example
 * const health = await ledgerOf(c.env, config.pixelId)?.health();
 */
export function ledgerOf(env: Env, pixelId: string) {
  const ns = env.DELIVERY_LEDGER;
  return ns ? ns.get(ns.idFromName(pixelId)) : undefined;
}

/** The pixel's ledger for a route, or a 503 in X's shape naming the missing binding. */
export function requireLedger(env: Env, pixelId: string) {
  const ledger = ledgerOf(env, pixelId);
  if (ledger) return ledger;
  throw new XApiError(503, {
    code: 'SERVICE_UNAVAILABLE',
    message: 'DELIVERY_LEDGER binding missing: see wrangler.toml',
  });
}

/**
 * Counts conversions acknowledged but left unsent on purpose (./event-tallies.ts).
 * Only a count is at stake, no conversion: a missing binding or a failed call
 * is logged and the caller's answer stands.
 */
export async function recordSkipped(
  env: Env,
  pixelId: string,
  skipped: SkippedConversion[],
): Promise<void> {
  if (skipped.length === 0) return;
  try {
    await ledgerOf(env, pixelId)?.skip(skipped);
  } catch (err) {
    log.warn('skipped conversions not counted', { count: skipped.length, error: errorName(err) });
  }
}
