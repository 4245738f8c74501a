/**
 * The conversion rows (edge/delivery/conversion-rows.ts) in a real
 * SQLite-backed object: one row written per conversion, a row written again
 * on a later day moves to that day, and a day past the keep is dropped whole
 * without a row written.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  type ConversionRow,
  ConversionRows,
  DAY_MS,
  STATUS_KEEP_DAYS,
} from '../../edge/delivery/conversion-rows.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const LIMITS = { maxRows: 1_000_000, dedupWindowMs: 2 * DAY_MS };

function row(id: string, at: number): ConversionRow {
  return {
    key: `${id}:purchase`,
    conversion_id: id,
    event: 'purchase',
    source: 'server',
    state: 'sent',
    waiting_reason: null,
    attempts: 1,
    accepted_at: at,
    sent_at: at,
    debug_id: null,
    error: null,
    warning: null,
    updated_at: at,
  };
}

/** The storage seen through a meter: every cursor it hands out, to sum their rows written. */
function metered(sql: SqlStorage): { sql: SqlStorage; written: () => number } {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const proxy = new Proxy(sql, {
    get(target, property) {
      if (property !== 'exec') return Reflect.get(target, property);
      return (query: string, ...bindings: SqlStorageValue[]) => {
        const cursor = target.exec(query, ...bindings);
        cursors.push(cursor);
        return cursor;
      };
    },
  });
  return { sql: proxy, written: () => cursors.reduce((n, c) => n + c.rowsWritten, 0) };
}

async function withRows(
  test: (rows: ConversionRows, written: () => number) => void,
): Promise<void> {
  const ns = env.DELIVERY_LEDGER;
  if (!ns) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
  const stub = ns.get(ns.idFromName(`conversion-rows-${Date.now()}-${Math.random()}`));
  await runInDurableObject(stub, (_instance, state) => {
    const meter = metered(state.storage.sql);
    test(new ConversionRows(meter.sql), meter.written);
  });
}

describe('conversion rows', () => {
  it('costs one row written per new conversion and finds it by key and by conversion id', async () => {
    await withRows((rows, written) => {
      rows.put(row('warm-up', T0)); // creates the day's table
      const before = written();
      rows.put(row('order-1', T0));
      expect(written() - before).toBe(1);
      expect(rows.get('order-1:purchase')).toMatchObject({ conversion_id: 'order-1' });
      expect(rows.byConversionId('order-1')).toMatchObject({ event: 'purchase' });
      expect(rows.byConversionId('order-')).toBeUndefined();
      expect(rows.count()).toBe(2);
    });
  });

  it('moves a row written again on a later day, so it is kept from its last change', async () => {
    await withRows((rows) => {
      rows.put(row('order-2', T0));
      rows.put(row('order-2', T0 + 5 * DAY_MS));
      expect(rows.count()).toBe(1);
      rows.prune(T0 + (STATUS_KEEP_DAYS + 1) * DAY_MS, LIMITS);
      expect(rows.get('order-2:purchase')).toMatchObject({ updated_at: T0 + 5 * DAY_MS });
    });
  });

  it('drops a day past the keep whole, writing no row', async () => {
    await withRows((rows, written) => {
      for (let i = 0; i < 50; i += 1) rows.put(row(`old-${i}`, T0));
      rows.put(row('new-1', T0 + STATUS_KEEP_DAYS * DAY_MS));
      const before = written();
      rows.prune(T0 + (STATUS_KEEP_DAYS + 1) * DAY_MS, LIMITS);
      expect(written() - before).toBe(0);
      expect(rows.get('old-0:purchase')).toBeUndefined();
      expect(rows.get('new-1:purchase')).toBeDefined();
      expect(rows.count()).toBe(1);
    });
  });

  it('past its row cap drops the oldest days beyond the dedup window, never one inside it', async () => {
    await withRows((rows) => {
      for (let day = 0; day < 5; day += 1) {
        for (let i = 0; i < 10; i += 1) rows.put(row(`d${day}-${i}`, T0 + day * DAY_MS));
      }
      rows.prune(T0 + 4 * DAY_MS, { maxRows: 5, dedupWindowMs: 2 * DAY_MS });
      // Days 0 and 1 go; days 2-4 are within 48 hours of day 4.
      expect(rows.count()).toBe(30);
      expect(rows.get('d1-0:purchase')).toBeUndefined();
      expect(rows.get('d2-0:purchase')).toBeDefined();
    });
  });
});
