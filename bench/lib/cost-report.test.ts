import { describe, expect, it } from 'vitest';
import type { ShapeCost } from '../cost.ts';
import { costPerMillion } from './cloudflare-prices.ts';
import { costSection, rowsWrittenByTable, tableOf } from './cost-report.ts';
import type { MeterReading } from './meter-reading.ts';

const counts: MeterReading = {
  workerRequests: { fetch: 100, queue: 1 },
  queueOperations: { written: 100, read: 100, deleted: 100 },
  queueMessages: { written: 100, read: 100, deleted: 100, retried: 0 },
  durableObjectRequests: { 'RateBudget.reserve': 1, 'DeliveryLedger.settle': 1 },
  statements: [
    {
      store: 'RateBudget',
      statement: 'INSERT OR REPLACE INTO claims (key) VALUES (?)',
      runs: 200,
      rowsRead: 100,
      rowsWritten: 800,
    },
    {
      store: 'DeliveryLedger',
      statement: "UPDATE conversions SET state = 'sent' WHERE key = ?",
      runs: 100,
      rowsRead: 100,
      rowsWritten: 300,
    },
    {
      store: 'DeliveryLedger',
      statement: 'SELECT 1 FROM conversions WHERE key = ?',
      runs: 100,
      rowsRead: 0,
      rowsWritten: 0,
    },
  ],
  alarmsSet: 2,
};

function shape(overrides: Partial<ShapeCost> = {}): ShapeCost {
  const perConversion = {
    workerRequests: 1.01,
    queueOperations: 3,
    durableObjectRequests: 0.02,
    rowsWritten: 11.02,
    rowsRead: 2,
    cpuMs: 6,
  };
  return {
    shape: 'browser',
    how: 'browser beacons, one conversion each',
    conversions: 100,
    delivered: 100,
    duplicates: 0,
    counts,
    cpuMs: 600,
    perConversion,
    dollarsPerMillion: costPerMillion(perConversion),
    ...overrides,
  };
}

describe('tableOf', () => {
  it.each([
    ['INSERT OR REPLACE INTO claims (key) VALUES (?)', 'claims'],
    ['INSERT INTO counts (bucket) VALUES (?) ON CONFLICT (bucket) DO UPDATE SET a = 1', 'counts'],
    ["UPDATE conversions SET state = 'sent'", 'conversions'],
    ['DELETE FROM held WHERE key = ?', 'held'],
    ['SELECT * FROM pixel WHERE id = 1', 'pixel'],
    ['CREATE TABLE IF NOT EXISTS x (a)', 'schema'],
  ])('%s writes %s', (statement, table) => {
    expect(tableOf(statement)).toBe(table);
  });
});

describe('rowsWrittenByTable', () => {
  it('divides rows written by conversions, per class and table, alarms included, largest first', () => {
    expect(rowsWrittenByTable(shape())).toEqual([
      ['RateBudget claims', 8],
      ['DeliveryLedger conversions', 3],
      ['DeliveryLedger alarm', 0.02],
    ]);
  });
});

describe('costSection', () => {
  it('prints units, dollars against the targets, the price table and what rows pay for', () => {
    const text = costSection({
      ok: true,
      value: {
        measuredAt: '2026-12-07T06:00:00.000Z',
        command: 'node bench/cost.ts --browser 100 --server 100 --csv 100',
        browserHoldSeconds: 1,
        shapes: [shape()],
      },
    });
    expect(text).toContain('## 7. Cost per million conversions');
    expect(text).toContain('developers.cloudflare.com/workers/platform/pricing/');
    expect(text).toMatch(/list prices as of \d{4}-\d{2}-\d{2}/);
    expect(text).toContain('`node bench/cost.ts --browser 100 --server 100 --csv 100`');
    // 1.01 * 0.30 + 3 * 0.40 + 0.02 * 0.15 + 11.02 * 1 + 2 * 0.001 + 6 * 0.02 = 12.65
    expect(text).toContain('**$12.65** | $2.60 (not met)');
    expect(text).toMatch(/`RateBudget claims` \| 8\.00 \| dedup memory/);
  });

  it('says why when the part did not run', () => {
    expect(costSection({ ok: false, error: 'workerd did not start' })).toContain(
      '**Not measured in this run:** workerd did not start',
    );
  });
});
