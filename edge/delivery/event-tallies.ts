/**
 * @module
 * Two small per-event tallies `/status` shows beside the ledger's `counts`,
 * in one table of 5-minute buckets pruned with them:
 * - `skipped`: conversions the edge answered 2xx for but deliberately did
 *   not send (the person denied `ad_user_data`, the shop marked the order a
 *   test). They never reach the queue, so only this count says "skipped on
 *   purpose" rather than "lost"; nothing about the person is kept.
 * - `source`: where accepted conversions came from (browser copies, server
 *   calls, each shop's webhook). A conversion counts once, under the source
 *   of the first copy delivery saw: a later copy of the same
 *   `conversion_id` is a duplicate, not a second conversion.
 */
export type TallyKind = 'skipped' | 'source';

/** Why a conversion was acknowledged but not sent to X. */
export type SkipReason = 'consent_denied' | 'test_order';

/** One conversion left unsent on purpose. */
export interface SkippedConversion {
  /** The event's name in `X_EVENTS`, e.g. `purchase`. */
  event: string;
  reason: SkipReason;
}

/** `browser`, `server` (a `POST /events` server call), or the shop webhook's name. */
export function sourceLabel(body: { via?: string; source?: string }): string {
  return body.via ?? body.source ?? 'server';
}

export function createTallyTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS tallies (
    bucket INTEGER NOT NULL, event TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY (bucket, event, kind, label)) WITHOUT ROWID`);
}

/** Adds one to `label` of `event` per entry, in the bucket of `at`: one row per event and label. */
export function addTallies(
  sql: SqlStorage,
  kind: TallyKind,
  entries: readonly { event: string; label: string }[],
  { at, bucketMs }: { at: number; bucketMs: number },
): void {
  const tally = new Map<string, { event: string; label: string; n: number }>();
  for (const { event, label } of entries) {
    const key = JSON.stringify([event, label]);
    const entry = tally.get(key) ?? { event, label, n: 0 };
    entry.n += 1;
    tally.set(key, entry);
  }
  const bucket = Math.floor(at / bucketMs) * bucketMs;
  for (const { event, label, n } of tally.values()) {
    sql.exec(
      `INSERT INTO tallies (bucket, event, kind, label, n) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (bucket, event, kind, label) DO UPDATE SET n = n + excluded.n`,
      bucket,
      event,
      kind,
      label,
      n,
    );
  }
}

/** Per event, per label, the tallies of `kind` in buckets from `bucket` on. */
export function readTallies(
  sql: SqlStorage,
  kind: TallyKind,
  bucket: number,
): Map<string, Record<string, number>> {
  const byEvent = new Map<string, Record<string, number>>();
  for (const row of sql.exec<{ event: string; label: string; n: number }>(
    `SELECT event, label, SUM(n) AS n FROM tallies WHERE kind = ? AND bucket >= ?
     GROUP BY event, label`,
    kind,
    bucket,
  )) {
    byEvent.set(row.event, { ...byEvent.get(row.event), [row.label]: row.n });
  }
  return byEvent;
}

export function pruneTallies(sql: SqlStorage, before: number): void {
  sql.exec('DELETE FROM tallies WHERE bucket <= ?', before);
}
