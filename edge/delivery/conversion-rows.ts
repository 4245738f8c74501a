/**
 * @module
 * One row per conversion, the only per-conversion row the delivery path
 * writes: it is the dedup memory (which copy X has, for 48 hours) and the
 * conversion's status (`GET /status/conversions/:id`, 7 days) at once, keyed
 * by the conversion's one key (`ledgerKey` in ./message.ts).
 *
 * Why day tables: SQLite bills a deleted row as a row written, so deleting
 * each row after 7 days would double what a conversion costs. Rows live in
 * one `WITHOUT ROWID` table per UTC day of their last write (no index beside
 * the key, so a write is one row), and a day that is old enough is dropped
 * whole, which writes no row. A row written again on a later day moves to
 * that day's table, so it is kept 7 days from its last change.
 */
import type { ConversionSource } from './message.ts';

export const DAY_MS = 24 * 60 * 60_000;
/** Days of rows kept beside today's: a row lives at least this long after its last write. */
export const STATUS_KEEP_DAYS = 7;

export type ConversionState = 'waiting' | 'sent' | 'dead_lettered';

export interface ConversionRow {
  key: string;
  conversion_id: string;
  event: string;
  /** Which copy the row stands for: a server copy takes a browser copy's row over. */
  source: ConversionSource;
  state: ConversionState;
  waiting_reason: string | null;
  attempts: number;
  accepted_at: number;
  sent_at: number | null;
  debug_id: string | null;
  error: string | null;
  warning: string | null;
  updated_at: number;
  [column: string]: SqlStorageValue;
}

const COLUMNS = [
  'key',
  'conversion_id',
  'event',
  'source',
  'state',
  'waiting_reason',
  'attempts',
  'accepted_at',
  'sent_at',
  'debug_id',
  'error',
  'warning',
  'updated_at',
] as const satisfies readonly (keyof ConversionRow)[];

const PREFIX = 'conversions_';

const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

export class ConversionRows {
  /** Existing day tables, newest first. */
  private days: number[];
  /** Rows in all day tables, kept in step with every write (COUNT(*) reads them all). */
  private total: number;

  constructor(private readonly sql: SqlStorage) {
    this.days = sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'conversions\\_%' ESCAPE '\\'",
      )
      .toArray()
      .map((t) => Number(t.name.slice(PREFIX.length)))
      .filter(Number.isInteger)
      .sort((a, b) => b - a);
    this.total = this.days.reduce(
      (n, day) => n + sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${PREFIX}${day}`).one().n,
      0,
    );
  }

  /** Rows kept, over every day. */
  count(): number {
    return this.total;
  }

  /** The row of `key`, wherever it lives, or undefined. */
  get(key: string): (ConversionRow & { day: number }) | undefined {
    for (const day of this.days) {
      const row = this.sql
        .exec<ConversionRow>(`SELECT * FROM ${PREFIX}${day} WHERE key = ?`, key)
        .toArray()[0];
      if (row) return { ...row, day };
    }
    return undefined;
  }

  /**
   * Writes `row` into the day of `row.updated_at` (one row written; two when
   * it moves from an earlier day). Returns whether the conversion was new.
   */
  put(row: ConversionRow, existing = this.get(row.key)): boolean {
    const day = this.ensureDay(dayOf(row.updated_at));
    if (existing && existing.day !== day) {
      this.sql.exec(`DELETE FROM ${PREFIX}${existing.day} WHERE key = ?`, row.key);
      this.total -= 1;
    }
    this.sql.exec(
      `INSERT OR REPLACE INTO ${PREFIX}${day} (${COLUMNS.join(', ')})
       VALUES (${COLUMNS.map(() => '?').join(', ')})`,
      ...COLUMNS.map((c) => row[c]),
    );
    if (!existing || existing.day !== day) this.total += 1;
    return existing === undefined;
  }

  /** The latest row of a conversion id (of one event when given), newest day first. */
  byConversionId(conversionId: string, event?: string): ConversionRow | undefined {
    // Keys start with the conversion id and ':' (./message.ts), so this is a range of the key.
    for (const day of this.days) {
      const row = this.sql
        .exec<ConversionRow>(
          `SELECT * FROM ${PREFIX}${day} WHERE key >= ? AND key < ? AND conversion_id = ?
             AND (? IS NULL OR event = ?) ORDER BY updated_at DESC LIMIT 1`,
          `${conversionId}:`,
          `${conversionId};`,
          conversionId,
          event ?? null,
          event ?? null,
        )
        .toArray()[0];
      if (row) return row;
    }
    return undefined;
  }

  /** Waiting conversions accepted since `since`, per event and reason. */
  waiting(since: number): { event: string; waiting_reason: string; n: number }[] {
    const counts = new Map<string, { event: string; waiting_reason: string; n: number }>();
    for (const day of this.days) {
      if (day < dayOf(since)) continue;
      for (const row of this.sql.exec<{ event: string; waiting_reason: string; n: number }>(
        `SELECT event, waiting_reason, COUNT(*) AS n FROM ${PREFIX}${day}
         WHERE state = 'waiting' AND accepted_at >= ? GROUP BY event, waiting_reason`,
        since,
      )) {
        const id = JSON.stringify([row.event, row.waiting_reason]);
        const entry = counts.get(id) ?? { ...row, n: 0 };
        entry.n += row.n;
        counts.set(id, entry);
      }
    }
    return [...counts.values()];
  }

  /**
   * Deletes up to `limit` of the oldest browser copies X has, oldest day
   * first: what goes when the rows reach their cap under a flood of beacons.
   * Returns how many went.
   */
  evictBrowserSent(limit: number): number {
    let evicted = 0;
    for (const day of [...this.days].reverse()) {
      if (evicted >= limit) break;
      evicted += this.sql
        .exec(
          `DELETE FROM ${PREFIX}${day} WHERE key IN (SELECT key FROM ${PREFIX}${day}
             WHERE source = 'browser' AND state = 'sent' ORDER BY updated_at LIMIT ?) RETURNING 1`,
          limit - evicted,
        )
        .toArray().length;
    }
    this.total -= evicted;
    return evicted;
  }

  /**
   * Drops the days older than `STATUS_KEEP_DAYS` before `now`'s, and, while
   * more than `maxRows` are kept, the oldest days past the dedup window
   * (their status goes early, their dedup is over): no row written.
   */
  prune(now: number, { maxRows, dedupWindowMs }: { maxRows: number; dedupWindowMs: number }): void {
    const oldest = dayOf(now) - STATUS_KEEP_DAYS;
    const lastDedupDay = dayOf(now - dedupWindowMs);
    for (const day of [...this.days].reverse()) {
      if (day >= oldest && (this.total <= maxRows || day >= lastDedupDay)) break;
      this.total -= this.sql
        .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${PREFIX}${day}`)
        .one().n;
      this.sql.exec(`DROP TABLE ${PREFIX}${day}`);
      this.days = this.days.filter((d) => d !== day);
    }
  }

  private ensureDay(day: number): number {
    if (!this.days.includes(day)) {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS ${PREFIX}${day} (
        key TEXT PRIMARY KEY, conversion_id TEXT NOT NULL, event TEXT NOT NULL,
        source TEXT NOT NULL, state TEXT NOT NULL, waiting_reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0, accepted_at INTEGER NOT NULL, sent_at INTEGER,
        debug_id TEXT, error TEXT, warning TEXT, updated_at INTEGER NOT NULL) WITHOUT ROWID`);
      this.days = [...this.days, day].sort((a, b) => b - a);
    }
    return day;
  }
}
