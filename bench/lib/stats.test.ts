import { describe, expect, it } from 'vitest';
import { percentile, summarize } from './stats.ts';

describe('percentile (nearest rank)', () => {
  it('returns one of the samples, whatever their order', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 90)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 0)).toBe(1);
    expect(percentile([5, 1, 3, 2, 4], 100)).toBe(5);
  });

  it('takes the lower middle of an even sample as its median', () => {
    expect(percentile([10, 40, 20, 30], 50)).toBe(20);
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    percentile(samples, 50);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('refuses an empty sample instead of inventing a figure', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('reports median, p90, min, max and the sample count', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(summarize(samples)).toEqual({ samples: 100, median: 50, p90: 90, min: 1, max: 100 });
  });

  it('keeps one outlier out of the median but shows it in max', () => {
    const summary = summarize([2, 2, 2, 2, 2, 2, 2, 2, 2, 500]);
    expect(summary.median).toBe(2);
    expect(summary.max).toBe(500);
  });
});
