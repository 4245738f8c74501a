import { describe, expect, it } from 'vitest';
import { type CostFigures, type CpuBaseline, cpuPerConversion, type ShapeCost } from '../cost.ts';
import { costPerMillion } from './cloudflare-prices.ts';
import { costSection, percentChange, rowsWrittenByTable, tableOf } from './cost-report.ts';
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
    cpuPerConversion: { grossMs: 6, baselineMs: 1.01 * 2, netMs: 6 - 1.01 * 2 },
    perConversion: { ...perConversion, cpuMs: 6 - 1.01 * 2 },
    dollarsPerMillion: costPerMillion({ ...perConversion, cpuMs: 6 - 1.01 * 2 }),
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

const baseline: CpuBaseline = {
  route: 'POST /no-such-route (404)',
  requests: 100,
  cpuMs: 200,
  cpuMsPerRequest: 2,
};

function figures(shapes: ShapeCost[], measuredAt = '2026-12-07T06:00:00.000Z'): CostFigures {
  return {
    measuredAt,
    command: 'node bench/cost.ts --browser 100 --server 100 --csv 100',
    browserHoldSeconds: 1,
    baseline,
    shapes,
  };
}

describe('cpuPerConversion', () => {
  it("takes the baseline's CPU off each Worker request, never below 0", () => {
    expect(cpuPerConversion(600, 1.01, 100, baseline)).toEqual({
      grossMs: 6,
      baselineMs: 2.02,
      netMs: 6 - 2.02,
    });
    expect(cpuPerConversion(100, 1, 100, baseline)?.netMs).toBe(0);
    expect(cpuPerConversion(null, 1, 100, baseline)).toBeNull();
    expect(cpuPerConversion(600, 1, 100, { ...baseline, cpuMsPerRequest: null })).toBeNull();
  });
});

describe('percentChange', () => {
  it.each([
    [20, 2.4, '-88%'],
    [20, 19.99, '0%'],
    [10, 12, '+20%'],
  ])('%d to %d is %s', (was, now, text) => {
    expect(percentChange(was, now)).toBe(text);
  });
});

describe('costSection', () => {
  it('prints units, CPU gross and net, dollars against the targets, the price table and what rows pay for', () => {
    const text = costSection({ ok: true, value: figures([shape()]) });
    expect(text).toContain('## 7. Cost per million conversions');
    expect(text).toContain('developers.cloudflare.com/workers/platform/pricing/');
    expect(text).toMatch(/list prices as of \d{4}-\d{2}-\d{2}/);
    expect(text).toContain('`node bench/cost.ts --browser 100 --server 100 --csv 100`');
    expect(text).toContain('**Worker CPU is priced on the net figure**');
    expect(text).toContain('CPU baseline: 100 requests to POST /no-such-route (404), 2.00 ms');
    // 1.01 * 0.30 + 3 * 0.40 + 0.02 * 0.15 + 11.02 * 1 + 2 * 0.001 + 3.98 * 0.02 = 12.61
    expect(text).toContain('| 6.00 | 2.02 | 3.98 | **$12.61** | $2.60 (not met) |');
    expect(text).toMatch(/`RateBudget claims` \| 8\.00 \| dedup memory/);
    expect(text).not.toContain('**Before**');
  });

  it('shows a saved earlier run as before, beside this run as after', () => {
    const earlier = shape({
      perConversion: { ...shape().perConversion, rowsWritten: 18.02 },
      dollarsPerMillion: costPerMillion({ ...shape().perConversion, rowsWritten: 18.02 }),
    });
    const text = costSection(
      { ok: true, value: figures([shape()]) },
      figures([earlier], '2026-12-01T06:00:00.000Z'),
    );
    // before: 12.61 + 7 rows written at $1 per million = 19.61
    expect(text).toContain(
      '| browser beacons, one conversion each | $19.61 | **$12.61** | -36% | $2.60 (not met) |',
    );
    expect(text).toContain(
      '**Before** (`bench/cost-before.json`, measured 2026-12-01T06:00:00.000Z',
    );
    expect(text).toContain('**After** (this run), measured 2026-12-07T06:00:00.000Z');
  });

  it('says why when the part did not run', () => {
    expect(costSection({ ok: false, error: 'workerd did not start' })).toContain(
      '**Not measured in this run:** workerd did not start',
    );
  });
});
