/**
 * `RateBudget` when browser and server copies meet: server copies win dedup,
 * keep a share of the budget no browser can take and are granted first, and
 * the dedup table stays bounded under a flood. Runs inside a real
 * SQLite-backed object with its own clock, as delivery-rate-budget.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEDUP_WINDOW_MS, LEASE_MS } from '../../edge/delivery/rate-budget.ts';
import type { Env } from '../../edge/env.ts';
import type { BudgetUnderTest } from './budget-under-test.ts';
import { withBudget as withSettings, withStorage } from './budget-under-test.ts';

/** Runs `test` against a fresh budget built with `settings`, with its row count. */
function withBudget<R>(
  settings: Partial<Env>,
  test: (budget: BudgetUnderTest, rows: () => number) => R,
): Promise<R> {
  return withSettings(settings, (budget) => test(budget, () => budget.rowCount()));
}

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const server = (id: string) => id;
const browser = (id: string) => `browser/${id}`;
const big = { X_RATE_LIMIT_EVENTS: '1000', X_RATE_LIMIT_WINDOW_SECONDS: '60' };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('server copies are authoritative', () => {
  it('a browser copy finding a server copy leased, waiting or delivered is a duplicate', async () => {
    await withBudget({ X_RATE_LIMIT_EVENTS: '1', X_RATE_LIMIT_WINDOW_SECONDS: '60' }, (budget) => {
      expect(budget.reserve([server('leased')], T0).granted).toEqual([server('leased')]);
      expect(budget.reserve([browser('leased')], T0 + 1).duplicates).toEqual([browser('leased')]);

      // Budget spent: the server copy waits, and still holds its id against browsers.
      expect(budget.reserve([server('waiting')], T0 + 2).deferred).toEqual([server('waiting')]);
      expect(budget.reserve([browser('waiting')], T0 + 3).duplicates).toEqual([browser('waiting')]);

      budget.settle({ delivered: [server('leased')], released: [] }, T0 + 4);
      expect(budget.reserve([browser('leased')], T0 + 5).duplicates).toEqual([browser('leased')]);
    });
  });

  it('a server copy finding a browser copy in flight or delivered is still sent', async () => {
    await withBudget(big, (budget) => {
      expect(budget.reserve([browser('a')], T0).granted).toEqual([browser('a')]);
      expect(budget.reserve([server('a')], T0 + 1).granted).toEqual([server('a')]);

      expect(budget.reserve([browser('b')], T0).granted).toEqual([browser('b')]);
      budget.settle({ delivered: [browser('b')], released: [] }, T0 + 1);
      expect(budget.reserve([server('b')], T0 + 2).granted).toEqual([server('b')]);
    });
  });

  it("a late settle of the browser copy never overwrites the server copy's row", async () => {
    await withBudget(big, (budget) => {
      budget.reserve([browser('c')], T0);
      budget.reserve([server('c')], T0 + 1);
      // The browser send ends after the server took over: delivered or failed, the row stays the server's.
      budget.settle({ delivered: [browser('c')], released: [] }, T0 + 2);
      expect(budget.reserve([server('c')], T0 + 3).inFlight).toEqual([server('c')]);
      budget.settle({ delivered: [], released: [browser('c')] }, T0 + 4);
      expect(budget.reserve([server('c')], T0 + 5).inFlight).toEqual([server('c')]);
      // The server send fails: its claim is free again for its retry.
      budget.settle({ delivered: [], released: [server('c')] }, T0 + 6);
      expect(budget.reserve([server('c')], T0 + 7).granted).toEqual([server('c')]);
    });
  });

  it('in one batch, the server copy is granted and the browser copy of the same id is a duplicate', async () => {
    await withBudget(big, (budget) => {
      const r = budget.reserve([browser('d'), server('d')], T0);
      expect(r.granted).toEqual([server('d')]);
      expect(r.duplicates).toEqual([browser('d')]);
    });
  });

  it('keeps dedup between browser copies as before (in flight, then duplicate for 48 h)', async () => {
    await withBudget(big, (budget) => {
      budget.reserve([browser('e')], T0);
      expect(budget.reserve([browser('e')], T0 + 1).inFlight).toEqual([browser('e')]);
      budget.settle({ delivered: [browser('e')], released: [] }, T0 + 2);
      expect(budget.reserve([browser('e')], T0 + DEDUP_WINDOW_MS).duplicates).toEqual([
        browser('e'),
      ]);
      expect(budget.reserve([browser('e')], T0 + 2 + DEDUP_WINDOW_MS).granted).toEqual([
        browser('e'),
      ]);
    });
  });
});

describe('a share of the budget no browser can take', () => {
  it('browser copies spend at most 100 - SERVER_BUDGET_PERCENT percent; server copies the rest', async () => {
    await withBudget({ X_RATE_LIMIT_EVENTS: '10', X_RATE_LIMIT_WINDOW_SECONDS: '60' }, (budget) => {
      const flood = Array.from({ length: 50 }, (_, i) => browser(`f${i}`));
      const first = budget.reserve(flood, T0);
      expect(first.granted).toHaveLength(5);
      expect(first.deferred).toHaveLength(45);
      expect(first.retryAfterSeconds).toBe(60);
      // The server share is intact: five server copies go at once.
      const purchases = Array.from({ length: 5 }, (_, i) => server(`p${i}`));
      expect(budget.reserve(purchases, T0 + 1000).granted).toEqual(purchases);
      expect(budget.reserve([server('p5')], T0 + 2000).deferred).toEqual([server('p5')]);
    });
  });

  it('serves server claims first within one reservation, whatever their order', async () => {
    await withBudget({ X_RATE_LIMIT_EVENTS: '4', X_RATE_LIMIT_WINDOW_SECONDS: '60' }, (budget) => {
      const claims = [browser('b0'), browser('b1'), browser('b2'), server('s0'), server('s1')];
      const r = budget.reserve(claims, T0);
      expect(r.granted).toEqual([server('s0'), server('s1'), browser('b0'), browser('b1')]);
      expect(r.deferred).toEqual([browser('b2')]);
    });
  });

  it('lets server copies use the whole budget when browsers are quiet', async () => {
    await withBudget(
      { X_RATE_LIMIT_EVENTS: '10', X_RATE_LIMIT_WINDOW_SECONDS: '60', SERVER_BUDGET_PERCENT: '80' },
      (budget) => {
        const all = Array.from({ length: 10 }, (_, i) => server(`s${i}`));
        expect(budget.reserve(all, T0).granted).toHaveLength(10);
        expect(budget.reserve([browser('late')], T0 + 1).deferred).toEqual([browser('late')]);
      },
    );
  });
});

describe('dedup rows stay bounded under a flood', () => {
  it('evicts the oldest browser-delivered rows at DEDUP_MAX_ROWS, and says so', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await withBudget(
      { ...big, X_RATE_LIMIT_EVENTS: '100000', DEDUP_MAX_ROWS: '200' },
      (budget, rows) => {
        let now = T0;
        for (let round = 0; round < 20; round += 1) {
          const claims = Array.from({ length: 100 }, (_, i) => browser(`r${round}-${i}`));
          now += 1000;
          const r = budget.reserve(claims, now);
          budget.settle({ delivered: r.granted, released: [] }, now);
          expect(rows()).toBeLessThanOrEqual(200);
        }
        expect(rows()).toBeGreaterThan(0);
        // The newest are remembered; the oldest were evicted to make room.
        expect(budget.reserve([browser('r19-99')], now + 1).duplicates).toHaveLength(1);
        expect(budget.reserve([browser('r0-0')], now + 2).granted).toHaveLength(1);
      },
    );
    const lines = warn.mock.calls.map((call) => JSON.parse(String(call[0])));
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: expect.stringContaining('DEDUP_MAX_ROWS'), max_rows: 200 }),
    );
  });

  it('refuses new browser leases once only server rows and leases are left, never server claims', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    await withBudget({ ...big, DEDUP_MAX_ROWS: '10' }, (budget, rows) => {
      const leased = budget.reserve(
        Array.from({ length: 10 }, (_, i) => browser(`l${i}`)),
        T0,
      );
      expect(leased.granted).toHaveLength(10);
      const refused = budget.reserve([browser('over')], T0 + 1);
      expect(refused.deferred).toEqual([browser('over')]);
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(60);
      expect(budget.reserve([server('order')], T0 + 2).granted).toEqual([server('order')]);
      // Leases are held in memory: none of them is a row yet.
      expect(rows()).toBe(0);
      // Leases that are never settled expire, and the room comes back.
      expect(budget.reserve([browser('over')], T0 + LEASE_MS + 1).granted).toEqual([
        browser('over'),
      ]);
    });
  });

  it('counts rows across a restart of the object (the counter starts from the tables)', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const settings = { ...big, DEDUP_MAX_ROWS: '5' };
    await withStorage((open) => {
      const first = open(settings);
      const claims = Array.from({ length: 5 }, (_, i) => server(`k${i}`));
      first.settle({ delivered: first.reserve(claims, T0).granted, released: [] }, T0);
      const again = open(settings);
      expect(again.rowCount()).toBe(5);
      expect(again.reserve([browser('k5')], T0 + 1).deferred).toEqual([browser('k5')]);
    });
  });
});
