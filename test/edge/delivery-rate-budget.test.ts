/**
 * `RateBudget`, the pixel ledger's budget: the exact sliding-window quota and
 * the lease/deliver/release dedup states. Runs inside a real SQLite-backed
 * object, and every call passes its own clock.
 */
import { describe, expect, it } from 'vitest';
import { DEDUP_WINDOW_MS, LEASE_MS } from '../../edge/delivery/rate-budget.ts';
import { type BudgetUnderTest, withBudget as withSettings } from './budget-under-test.ts';

/** Runs `test` against a fresh budget with the given quota. */
function withBudget<R>(
  quota: { events: string; windowSeconds: string },
  test: (budget: BudgetUnderTest) => R,
): Promise<R> {
  return withSettings(
    { X_RATE_LIMIT_EVENTS: quota.events, X_RATE_LIMIT_WINDOW_SECONDS: quota.windowSeconds },
    test,
  );
}

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('RateBudget quota', () => {
  it('grants up to the limit, defers the rest until the oldest grant leaves the window', async () => {
    await withBudget({ events: '10', windowSeconds: '60' }, (budget) => {
      const first = budget.reserve(keys('a', 6), T0);
      expect(first.granted).toHaveLength(6);

      const second = budget.reserve(keys('b', 6), T0 + 20_000);
      expect(second.granted).toEqual(['b0', 'b1', 'b2', 'b3']);
      expect(second.deferred).toEqual(['b4', 'b5']);
      // The 6 granted at T0 free up at T0 + 60 s, i.e. 40 s from now.
      expect(second.retryAfterSeconds).toBe(40);

      expect(budget.reserve(['c0'], T0 + 59_999).deferred).toEqual(['c0']);
      const later = budget.reserve(keys('d', 6), T0 + 60_000);
      expect(later.granted).toHaveLength(6);
      expect(later.deferred).toEqual([]);
    });
  });

  it('defaults to X’s 60,000 events per 15 minutes', async () => {
    await withBudget({ events: '', windowSeconds: '' }, (budget) => {
      for (let i = 0; i < 600; i += 1) {
        expect(budget.reserve(keys(`k${i}-`, 100), T0 + i).granted).toHaveLength(100);
      }
      const over = budget.reserve(['last'], T0 + 1000);
      expect(over.deferred).toEqual(['last']);
      expect(over.retryAfterSeconds).toBe(899);
    });
  });

  it('grants nothing while paused by an X 429, then resumes', async () => {
    await withBudget({ events: '100', windowSeconds: '60' }, (budget) => {
      budget.pause(30, T0);
      const paused = budget.reserve(['p0'], T0 + 1000);
      expect(paused.granted).toEqual([]);
      expect(paused.retryAfterSeconds).toBe(29);
      expect(budget.reserve(['p0'], T0 + 30_000).granted).toEqual(['p0']);
    });
  });
});

describe('RateBudget dedup', () => {
  it('remembers delivered conversions for 48 hours', async () => {
    await withBudget({ events: '100', windowSeconds: '60' }, (budget) => {
      budget.reserve(['o9d2g:order-1'], T0);
      budget.settle({ delivered: ['o9d2g:order-1'], released: [] }, T0);
      expect(budget.reserve(['o9d2g:order-1'], T0 + DEDUP_WINDOW_MS - 1).duplicates).toEqual([
        'o9d2g:order-1',
      ]);
      expect(budget.reserve(['o9d2g:order-1'], T0 + DEDUP_WINDOW_MS).granted).toEqual([
        'o9d2g:order-1',
      ]);
    });
  });

  it('holds a claim in flight until settled or its lease ends', async () => {
    await withBudget({ events: '100', windowSeconds: '60' }, (budget) => {
      expect(budget.reserve(['x'], T0).granted).toEqual(['x']);
      expect(budget.reserve(['x'], T0 + LEASE_MS - 1).inFlight).toEqual(['x']);
      // A consumer that died without settling: the lease runs out, the claim is free.
      expect(budget.reserve(['x'], T0 + LEASE_MS).granted).toEqual(['x']);
    });
  });

  it('frees released claims at once (a failed send is not a delivery)', async () => {
    await withBudget({ events: '100', windowSeconds: '60' }, (budget) => {
      budget.reserve(['y'], T0);
      budget.settle({ delivered: [], released: ['y'] }, T0 + 10);
      expect(budget.reserve(['y'], T0 + 20).granted).toEqual(['y']);
    });
  });

  it('never turns a delivered conversion back into a free one by a late release', async () => {
    await withBudget({ events: '100', windowSeconds: '60' }, (budget) => {
      budget.reserve(['z'], T0);
      budget.settle({ delivered: ['z'], released: [] }, T0);
      budget.settle({ delivered: [], released: ['z'] }, T0 + 5);
      expect(budget.reserve(['z'], T0 + 10).duplicates).toEqual(['z']);
    });
  });
});
