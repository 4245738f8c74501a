import { describe, expect, it } from 'vitest';
import { CLOUDFLARE_PRICES, costPerMillion } from './cloudflare-prices.ts';

describe('costPerMillion', () => {
  it('prices the floor the issue names: a beacon, one queue message, one row written', () => {
    const cost = costPerMillion({
      workerRequests: 1,
      queueOperations: 3,
      durableObjectRequests: 0,
      rowsWritten: 1,
      rowsRead: 0,
      cpuMs: 0,
    });
    expect(cost.workerRequests).toBeCloseTo(0.3);
    expect(cost.queueOperations).toBeCloseTo(1.2);
    expect(cost.rowsWritten).toBeCloseTo(1);
    expect(cost.total).toBeCloseTo(2.5);
  });

  it('adds every item, CPU and rows read included, and treats unknown CPU as not priced', () => {
    const per = {
      workerRequests: 0.01,
      queueOperations: 3,
      durableObjectRequests: 0.04,
      rowsWritten: 18,
      rowsRead: 6,
      cpuMs: 2,
    };
    const cost = costPerMillion(per);
    const p = CLOUDFLARE_PRICES.perMillion;
    expect(cost.total).toBeCloseTo(
      0.01 * p.workerRequests +
        3 * p.queueOperations +
        0.04 * p.durableObjectRequests +
        18 * p.rowsWritten +
        6 * p.rowsRead +
        2 * p.workerCpuMs,
    );
    expect(costPerMillion({ ...per, cpuMs: null }).workerCpu).toBe(0);
  });

  it('names its date and Cloudflare pricing pages as the source', () => {
    expect(CLOUDFLARE_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const source of CLOUDFLARE_PRICES.sources) {
      expect(source).toMatch(/^https:\/\/developers\.cloudflare\.com\/.+pricing\/$/);
    }
  });
});
