/**
 * @module
 * Conversions the edge answered 2xx for but deliberately did not send: the
 * person denied `ad_user_data`, or the shop marked the order a test. They
 * never reach the queue, so the ledger's per-conversion rows know nothing of
 * them; `/status` still shows how many there were, per event and reason, so
 * an operator can tell "skipped on purpose" from "lost". Only a count is
 * kept: no conversion id, nothing about the person.
 *
 * The table lives in the pixel's `DeliveryLedger` (./delivery-ledger.ts),
 * in 5-minute buckets like its other counts, and is pruned with them.
 */

/** Why a conversion was acknowledged but not sent to X. */
export type SkipReason = 'consent_denied' | 'test_order';

/** One conversion left unsent on purpose. */
export interface SkippedConversion {
  /** The event's name in `X_EVENTS`, e.g. `purchase`. */
  event: string;
  reason: SkipReason;
}

export function createSkipTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS skipped (
    bucket INTEGER NOT NULL, event TEXT NOT NULL, reason TEXT NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY (bucket, event, reason))`);
}

/** Adds the skipped conversions to the bucket of `now`: one row per event and reason. */
export function countSkipped(
  sql: SqlStorage,
  skipped: readonly SkippedConversion[],
  bucketMs: number,
  now: number,
): void {
  const tally = new Map<string, { event: string; reason: SkipReason; n: number }>();
  for (const { event, reason } of skipped) {
    const key = JSON.stringify([event, reason]);
    const entry = tally.get(key) ?? { event, reason, n: 0 };
    entry.n += 1;
    tally.set(key, entry);
  }
  const bucket = Math.floor(now / bucketMs) * bucketMs;
  for (const { event, reason, n } of tally.values()) {
    sql.exec(
      `INSERT INTO skipped (bucket, event, reason, n) VALUES (?, ?, ?, ?)
       ON CONFLICT (bucket, event, reason) DO UPDATE SET n = n + excluded.n`,
      bucket,
      event,
      reason,
      n,
    );
  }
}

/** Per event, per reason, the skipped conversions in buckets from `bucket` on. */
export function readSkipped(
  sql: SqlStorage,
  bucket: number,
): Map<string, Partial<Record<SkipReason, number>>> {
  const byEvent = new Map<string, Partial<Record<SkipReason, number>>>();
  for (const row of sql.exec<{ event: string; reason: SkipReason; n: number }>(
    'SELECT event, reason, SUM(n) AS n FROM skipped WHERE bucket >= ? GROUP BY event, reason',
    bucket,
  )) {
    const reasons = byEvent.get(row.event) ?? {};
    reasons[row.reason] = row.n;
    byEvent.set(row.event, reasons);
  }
  return byEvent;
}

export function pruneSkipped(sql: SqlStorage, before: number): void {
  sql.exec('DELETE FROM skipped WHERE bucket <= ?', before);
}
