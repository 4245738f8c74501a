/**
 * @module
 * Order statistics for benchmark samples. Medians and high percentiles, not
 * means: one slow outlier (a GC pause, the other core busy) should not move
 * the headline figure, but it should show up in p90/p99.
 */

/** The summary every sampled figure in BENCHMARKS.md is reported with. */
export interface SampleSummary {
  samples: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

/**
 * The p-th percentile (0..100) by the nearest-rank method: always one of the
 * samples, never an interpolation between two.
 *
 * @example
 * percentile([5, 1, 3, 2, 4], 50); // 3
 * percentile([5, 1, 3, 2, 4], 90); // 5
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * Median, p90, min and max of a non-empty sample.
 *
 * @example
 * summarize([4, 1, 3, 2]); // { samples: 4, median: 2, p90: 4, min: 1, max: 4 }
 */
export function summarize(samples: readonly number[]): SampleSummary {
  return {
    samples: samples.length,
    median: percentile(samples, 50),
    p90: percentile(samples, 90),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}
