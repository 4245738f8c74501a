/**
 * @module
 * Hashing and signing cost per conversion, measured two ways:
 * - in Node (this process, WebCrypto `crypto.subtle`): batches of back-to-back
 *   calls timed with `performance.now()`;
 * - in workerd, where timers do not advance during execution: a bench Worker
 *   (bench/crypto-worker.ts) runs N calls per request and this process times
 *   the requests from outside, minus the same request with N = 0.
 * Both call the edge's own functions (bench/lib/crypto-ops.ts).
 *
 *     node bench/crypto-cost.ts [operation ...]   # e.g. ingestBeacon minimalIngestBeacon
 */

import { startLocalWorker } from '../test/rig/local-worker.ts';
import {
  CRYPTO_OP_DESCRIPTIONS,
  CRYPTO_OPS,
  type CryptoOp,
  isCryptoOp,
  repeatCryptoOp,
} from './lib/crypto-ops.ts';
import { cpuMs, workerdChildren } from './lib/process-cpu.ts';
import { percentile, type SampleSummary, summarize } from './lib/stats.ts';

export interface OpCost {
  op: CryptoOp;
  description: string;
  /** Microseconds per call in Node, over batches. */
  nodeMicros: SampleSummary;
  nodeBatchSize: number;
  /** Microseconds per call in workerd (median timed request minus median empty one, over N). */
  workerdMicros?: number;
  /** The same from workerd's CPU time (Linux `/proc`), when readable. */
  workerdCpuMicros?: number;
  workerdIterations?: number;
  workerdRequests?: number;
  /** Why the workerd figure is missing, when it is. */
  workerdError?: string;
}

export interface CryptoCost {
  runtime: { node: string; workerd: string };
  ops: OpCost[];
}

export interface CryptoCostOptions {
  /** Timed batches per operation in Node. */
  batches?: number;
  /** Target wall time of one timed batch or request, in ms. */
  targetMs?: number;
  /** Timed requests (and as many empty ones) per operation in workerd. */
  workerdRequests?: number;
  /** Only these operations (all by default). */
  ops?: readonly CryptoOp[];
}

/** Calls in the request that sizes the workerd runs. */
const PROBE_ITERATIONS = 200;

async function timeBatch(op: CryptoOp, iterations: number): Promise<number> {
  const start = performance.now();
  await repeatCryptoOp(op, iterations);
  return performance.now() - start;
}

/** Node: calibrates a batch size from a first run, then times `batches` batches. */
async function nodeCost(op: CryptoOp, batches: number, targetMs: number) {
  await repeatCryptoOp(op, 200); // JIT warm-up, not timed
  const probeMs = await timeBatch(op, 200);
  const batchSize = Math.max(50, Math.round((targetMs / Math.max(probeMs, 0.01)) * 200));
  const micros: number[] = [];
  for (let i = 0; i < batches; i++)
    micros.push(((await timeBatch(op, batchSize)) / batchSize) * 1000);
  return { micros: summarize(micros), batchSize };
}

/** Wall ms of one request, and the CPU ms workerd spent on it (when readable). */
async function timeRequest(url: URL, pids: readonly number[]) {
  const cpuBefore = cpuMs(pids);
  const start = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  if (response.status !== 204) throw new Error(`${url.search}: HTTP ${response.status}`);
  const wall = performance.now() - start;
  const cpuAfter = cpuMs(pids);
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return { wall, cpu };
}

/**
 * workerd: (median of timed requests - median of empty requests) / N, in wall
 * time and, from workerd's own CPU time, in CPU time (which time stolen by
 * other processes on a busy machine does not inflate).
 */
async function workerdCost(
  base: URL,
  pids: readonly number[],
  op: CryptoOp,
  iterations: number,
  requests: number,
) {
  const urlFor = (n: number) => new URL(`/run?op=${op}&n=${n}`, base);
  await timeRequest(urlFor(Math.min(iterations, 500)), pids); // warm-up, not timed
  const timed: Array<{ wall: number; cpu?: number | undefined }> = [];
  const empty: Array<{ wall: number; cpu?: number | undefined }> = [];
  for (let i = 0; i < requests; i++) {
    empty.push(await timeRequest(urlFor(0), pids));
    timed.push(await timeRequest(urlFor(iterations), pids));
  }
  const perCall = (pick: (t: { wall: number; cpu?: number | undefined }) => number | undefined) => {
    const a = timed.map(pick);
    const b = empty.map(pick);
    if (a.some((v) => v === undefined) || b.some((v) => v === undefined)) return undefined;
    return ((percentile(a as number[], 50) - percentile(b as number[], 50)) / iterations) * 1000;
  };
  return { wall: perCall((t) => t.wall) as number, cpu: perCall((t) => t.cpu) };
}

/**
 * Times every operation in Node, then in workerd (skipped with a reason if
 * the bench Worker cannot start).
 *
 * @example
 * const { ops } = await measureCryptoCost();
 * for (const { op, nodeMicros, workerdMicros } of ops) console.log(op, nodeMicros.median, workerdMicros);
 */
export async function measureCryptoCost({
  batches = 15,
  targetMs = 25,
  workerdRequests = 7,
  ops: only = CRYPTO_OPS,
}: CryptoCostOptions = {}): Promise<CryptoCost> {
  const ops: OpCost[] = [];
  for (const op of only) {
    const { micros, batchSize } = await nodeCost(op, batches, targetMs);
    ops.push({
      op,
      description: CRYPTO_OP_DESCRIPTIONS[op],
      nodeMicros: micros,
      nodeBatchSize: batchSize,
    });
  }

  let worker: Awaited<ReturnType<typeof startLocalWorker>> | undefined;
  try {
    const before = new Set(workerdChildren());
    worker = await startLocalWorker({ config: 'bench/crypto-worker.wrangler.toml' });
    const pids = workerdChildren().filter((pid) => !before.has(pid));
    for (const cost of ops) {
      try {
        // Enough calls that one request runs ~12x a Node batch in workerd itself: HTTP
        // noise and the 10 ms ticks of the CPU clock stay small beside it.
        const probe = await timeRequest(
          new URL(`/run?op=${cost.op}&n=${PROBE_ITERATIONS}`, worker.url),
          pids,
        );
        const iterations = Math.min(
          100_000,
          Math.max(100, Math.round(((12 * targetMs) / probe.wall) * PROBE_ITERATIONS)),
        );
        const { wall, cpu } = await workerdCost(
          worker.url,
          pids,
          cost.op,
          iterations,
          workerdRequests,
        );
        cost.workerdMicros = wall;
        if (cpu !== undefined) cost.workerdCpuMicros = cpu;
        cost.workerdIterations = iterations;
        cost.workerdRequests = workerdRequests;
      } catch (error) {
        cost.workerdError = error instanceof Error ? error.message : String(error);
      }
    }
  } catch (error) {
    for (const cost of ops)
      cost.workerdError = `bench Worker did not start: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await worker?.close();
  }
  return { runtime: { node: process.version, workerd: 'wrangler local workerd' }, ops };
}

if (import.meta.filename === process.argv[1]) {
  const asked = process.argv.slice(2).filter(isCryptoOp);
  const { ops } = await measureCryptoCost(asked.length > 0 ? { ops: asked } : {});
  for (const { op, nodeMicros, workerdMicros, workerdCpuMicros, workerdError } of ops) {
    console.log(
      `${op}: node ${nodeMicros.median.toFixed(1)} µs (p90 ${nodeMicros.p90.toFixed(1)}), workerd ${workerdMicros?.toFixed(1) ?? `n/a (${workerdError})`} µs wall, ${workerdCpuMicros?.toFixed(1) ?? 'n/a'} µs CPU`,
    );
  }
  process.exit(0);
}
