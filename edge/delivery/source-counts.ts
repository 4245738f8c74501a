/**
 * @module
 * Where accepted conversions came from, for `/status`: per 5-minute bucket
 * and event, how many were browser copies, `POST /events` server calls, or
 * server copies from each shop's webhook. A conversion counts once, under
 * the source of the first copy delivery saw (a later copy of the same
 * `conversion_id` is a duplicate, not a second conversion). Its own small table in the pixel's
 * `DeliveryLedger`, so the per-event `counts` rows keep their shape; pruned
 * with them.
 */
import type { DeliveryMessage } from './message.ts';

/** `browser`, `server` (a `POST /events` server call), or the shop webhook's name. */
export function sourceLabel(body: DeliveryMessage): string {
  return body.via ?? body.source ?? 'server';
}

export function createSourceTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS sources (
    bucket INTEGER NOT NULL, event TEXT NOT NULL, source TEXT NOT NULL,
    accepted INTEGER NOT NULL, PRIMARY KEY (bucket, event, source))`);
}

/** One more accepted conversion of `event` from `source` in the bucket of `at`. */
export function countSource(
  sql: SqlStorage,
  { event, source, at, bucketMs }: { event: string; source: string; at: number; bucketMs: number },
): void {
  sql.exec(
    `INSERT INTO sources (bucket, event, source, accepted) VALUES (?, ?, ?, 1)
     ON CONFLICT (bucket, event, source) DO UPDATE SET accepted = accepted + 1`,
    Math.floor(at / bucketMs) * bucketMs,
    event,
    source,
  );
}

/** Per event, accepted conversions per source in buckets from `bucket` on. */
export function readSources(sql: SqlStorage, bucket: number): Map<string, Record<string, number>> {
  const byEvent = new Map<string, Record<string, number>>();
  const rows = sql.exec<{ event: string; source: string; accepted: number }>(
    'SELECT event, source, SUM(accepted) AS accepted FROM sources WHERE bucket >= ? GROUP BY event, source',
    bucket,
  );
  for (const { event, source, accepted } of rows) {
    byEvent.set(event, { ...byEvent.get(event), [source]: accepted });
  }
  return byEvent;
}

export function pruneSources(sql: SqlStorage, before: number): void {
  sql.exec('DELETE FROM sources WHERE bucket <= ?', before);
}
