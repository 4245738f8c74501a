/**
 * @module
 * The `counts` table: per 5-minute bucket and event, accepted / sent /
 * dead-lettered conversions and identifier coverage, for `/status` windows.
 * One call of the ledger adds its conversions up first and writes one row
 * per bucket and event, not one per conversion.
 */
import { BUCKET_MS, COUNT_COLUMNS, type CountColumn } from './ledger-views.ts';

export function createCountTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS counts (
    bucket INTEGER NOT NULL, event TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0,
    dead_lettered INTEGER NOT NULL DEFAULT 0, twclid INTEGER NOT NULL DEFAULT 0,
    email INTEGER NOT NULL DEFAULT 0, phone INTEGER NOT NULL DEFAULT 0,
    ip_user_agent INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (bucket, event)) WITHOUT ROWID`);
}

/** Additions to `counts`, summed per bucket and event until `write`. */
export class CountChanges {
  private readonly changes = new Map<string, { bucket: number; event: string; add: number[] }>();

  add(at: number, event: string, add: Partial<Record<CountColumn, number>>): void {
    const bucket = Math.floor(at / BUCKET_MS) * BUCKET_MS;
    const id = JSON.stringify([bucket, event]);
    const entry = this.changes.get(id) ?? { bucket, event, add: COUNT_COLUMNS.map(() => 0) };
    COUNT_COLUMNS.forEach((column, i) => {
      entry.add[i] = (entry.add[i] ?? 0) + (add[column] ?? 0);
    });
    this.changes.set(id, entry);
  }

  /** One upsert per bucket and event with anything to add. */
  write(sql: SqlStorage): void {
    for (const { bucket, event, add } of this.changes.values()) {
      if (add.every((n) => n === 0)) continue;
      sql.exec(
        `INSERT INTO counts (bucket, event, ${COUNT_COLUMNS.join(', ')})
         VALUES (?, ?, ${COUNT_COLUMNS.map(() => '?').join(', ')})
         ON CONFLICT (bucket, event) DO UPDATE SET
         ${COUNT_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
        bucket,
        event,
        ...add,
      );
    }
    this.changes.clear();
  }
}
