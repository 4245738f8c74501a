/**
 * @module
 * The one price table the cost benchmark (bench/cost.ts) turns counts into
 * dollars with: Cloudflare's list prices on the Workers Paid plan, per unit
 * beyond the amounts the plan includes each month (a large shop is past
 * them; a small one pays less). Durable Object duration is left out: the
 * objects here answer in milliseconds and are then idle, and the benchmark
 * cannot measure the wall time Cloudflare would bill.
 */

export const CLOUDFLARE_PRICES = {
  /** When these prices were read from the sources. */
  asOf: '2026-12-07',
  plan: 'Workers Paid (Standard usage model)',
  sources: [
    'https://developers.cloudflare.com/workers/platform/pricing/',
    'https://developers.cloudflare.com/queues/pricing/',
    'https://developers.cloudflare.com/durable-objects/platform/pricing/',
  ],
  /** Dollars per million of each unit. */
  perMillion: {
    workerRequests: 0.3,
    workerCpuMs: 0.02,
    queueOperations: 0.4,
    durableObjectRequests: 0.15,
    rowsWritten: 1.0,
    rowsRead: 0.001,
  },
} as const;

/** Billed units per conversion. */
export interface PerConversion {
  /** Inbound requests and queue consumer invocations. */
  workerRequests: number;
  /** Each 64 KB written, read or deleted. */
  queueOperations: number;
  /** RPC calls on a stub and alarms. */
  durableObjectRequests: number;
  rowsWritten: number;
  rowsRead: number;
  /** null where CPU time could not be read. */
  cpuMs: number | null;
}

/** Dollars per million conversions, by item and in total. */
export interface CostPerMillion {
  workerRequests: number;
  workerCpu: number;
  queueOperations: number;
  durableObjectRequests: number;
  rowsWritten: number;
  rowsRead: number;
  total: number;
}

/**
 * A million conversions at `per` units each, priced from the table.
 *
 * @example
 * costPerMillion({ workerRequests: 1, queueOperations: 3, durableObjectRequests: 0,
 *   rowsWritten: 1, rowsRead: 0, cpuMs: 0 }).total; // 2.5
 */
export function costPerMillion(per: PerConversion): CostPerMillion {
  const price = CLOUDFLARE_PRICES.perMillion;
  const items = {
    workerRequests: per.workerRequests * price.workerRequests,
    workerCpu: (per.cpuMs ?? 0) * price.workerCpuMs,
    queueOperations: per.queueOperations * price.queueOperations,
    durableObjectRequests: per.durableObjectRequests * price.durableObjectRequests,
    rowsWritten: per.rowsWritten * price.rowsWritten,
    rowsRead: per.rowsRead * price.rowsRead,
  };
  return { ...items, total: Object.values(items).reduce((a, b) => a + b, 0) };
}
