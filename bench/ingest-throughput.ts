/**
 * @module
 * Edge ingest throughput against two baselines, all three started in the same
 * run the same way (wrangler's dev environment, local workerd, loaded on the
 * Worker's own address) and driven by autocannon with the same purchase beacon:
 * - the edge (the repository's wrangler.toml, its queue consumers left out so
 *   only ingest runs: ./lib/edge-config-copy.ts);
 * - the minimal correct ingest (bench/minimal-ingest.ts: parse, hash the
 *   email, enqueue, 202): the headline ratio edge/minimal;
 * - a bare Worker that only answers 202 (bench/bare-worker.ts): what workerd
 *   and the load generator cost on their own.
 *
 * On a shared 2-core machine the load around the bench drifts, so the Workers
 * are loaded in short slices, rotating the order every round, and each
 * figure pools its slices. workerd's CPU time (./lib/process-cpu.ts) over
 * each Worker's slices, divided by its responses, gives CPU per beacon.
 *
 *     node bench/ingest-throughput.ts [--seconds 10] [--slice 2]
 */
import autocannon from 'autocannon';
import { startFakeX } from '../test/fake-x/server.ts';
import { edgeVarsFor, PURCHASE_BEACON_BODY, PURCHASE_BEACON_HEADERS } from '../test/rig/beacon.ts';
import { type LocalWorker, startLocalWorker } from '../test/rig/local-worker.ts';
import { writeConfigCopy } from './lib/edge-config-copy.ts';
import { numberArg } from './lib/number-arg.ts';
import { cpuMs, workerdChildren } from './lib/process-cpu.ts';
import { percentile, type SampleSummary, summarize } from './lib/stats.ts';

export type IngestTarget = 'edge' | 'minimal' | 'bare';

const TARGETS: readonly IngestTarget[] = ['edge', 'minimal', 'bare'];

export interface LoadFigures {
  /** Responses over the measured seconds of all slices. */
  requestsPerSecond: number;
  /** Responses received in the measured slices. */
  responses: number;
  /** Measured wall seconds, summed over slices. */
  seconds: number;
  /** Per-request latency, pooled over slices. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  /** Responses per HTTP status. */
  statusCounts: Record<string, number>;
  /** workerd CPU (user + system) per response over the slices, when readable. */
  workerdCpuMsPerRequest?: number;
}

export interface IngestThroughput {
  connections: number;
  /** Measured seconds per Worker (the sum of its slices). */
  durationSeconds: number;
  sliceSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** The request body sent (with autocannon's `[<id>]` marker). */
  body: string;
  /** What one beacon got before the load, to show each Worker really ingests. */
  probe: Record<'edge' | 'minimal', { status: number; body: string }>;
  edge: LoadFigures;
  minimal: LoadFigures;
  bare: LoadFigures;
  /** edge / minimal requests per second (the headline). */
  ratio: number;
  /** edge / minimal within each round: how steady the ratio was. */
  roundRatios: SampleSummary;
  /** edge / bare requests per second. */
  bareRatio: number;
}

export interface IngestOptions {
  /** Measured seconds per Worker, split into slices. */
  durationSeconds?: number;
  /** Length of one slice; each round loads every Worker for one slice. */
  sliceSeconds?: number;
  /** Seconds of unmeasured load per Worker first (bundle JIT, isolate warm-up). */
  warmupSeconds?: number;
  connections?: number;
}

interface Slice {
  responses: number;
  seconds: number;
  latencies: number[];
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  cpuMs?: number;
}

async function loadSlice(
  target: { worker: LocalWorker; pids: number[] },
  connections: number,
  seconds: number,
): Promise<Slice> {
  const latencies: number[] = [];
  const cpuBefore = cpuMs(target.pids);
  const started = performance.now();
  const run = autocannon({
    url: new URL('events', target.worker.url).href,
    method: 'POST',
    headers: PURCHASE_BEACON_HEADERS,
    body: PURCHASE_BEACON_BODY,
    idReplacement: true,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
  run.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await run;
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuMs(target.pids);
  const slice: Slice = {
    responses: latencies.length,
    seconds: Math.min(elapsed, result.duration),
    latencies,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, Number(count)]),
    ),
  };
  if (cpuBefore !== undefined && cpuAfter !== undefined) slice.cpuMs = cpuAfter - cpuBefore;
  return slice;
}

function pooled(slices: Slice[]): LoadFigures {
  const latencies = slices.flatMap((s) => s.latencies);
  const responses = latencies.length;
  const seconds = slices.reduce((sum, s) => sum + s.seconds, 0);
  const statusCounts: Record<string, number> = {};
  for (const slice of slices) {
    for (const [status, count] of Object.entries(slice.statusCounts)) {
      statusCounts[status] = (statusCounts[status] ?? 0) + count;
    }
  }
  const figures: LoadFigures = {
    requestsPerSecond: responses / seconds,
    responses,
    seconds,
    latencyMs:
      responses > 0
        ? {
            p50: percentile(latencies, 50),
            p90: percentile(latencies, 90),
            p99: percentile(latencies, 99),
            max: Math.max(...latencies),
          }
        : { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN },
    non2xx: slices.reduce((sum, s) => sum + s.non2xx, 0),
    errors: slices.reduce((sum, s) => sum + s.errors, 0),
    timeouts: slices.reduce((sum, s) => sum + s.timeouts, 0),
    statusCounts,
  };
  if (responses > 0 && slices.every((s) => s.cpuMs !== undefined)) {
    figures.workerdCpuMsPerRequest =
      slices.reduce((sum, s) => sum + (s.cpuMs as number), 0) / responses;
  }
  return figures;
}

async function probe(url: URL): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL('events', url), {
    method: 'POST',
    headers: PURCHASE_BEACON_HEADERS,
    body: PURCHASE_BEACON_BODY.replace('[<id>]', 'probe'),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: (await response.text()).slice(0, 300) };
}

/** Starts a Worker and notes which workerd processes are its own. */
async function startTarget(config: string, vars?: Record<string, string>) {
  const before = new Set(workerdChildren());
  const worker = await startLocalWorker(vars ? { config, vars } : { config });
  const pids = workerdChildren().filter((pid) => !before.has(pid));
  return { worker, pids };
}

/**
 * Starts the fake X API (the edge's configured X; nothing is delivered during
 * the load), the edge, the minimal ingest and the bare Worker; loads them in
 * rotating slices; shuts everything down (also on error).
 *
 * 2 connections by default: the machine this was written for has 2 cores,
 * shared by autocannon and workerd. One request in flight per core keeps
 * workerd busy; more connections would only queue inside it and inflate
 * latency without adding throughput.
 *
 * @example
 * const figures = await measureIngestThroughput({ durationSeconds: 10 });
 * console.log(figures.edge.requestsPerSecond, figures.ratio);
 */
export async function measureIngestThroughput({
  durationSeconds = 10,
  sliceSeconds = 2,
  warmupSeconds = 2,
  connections = 2,
}: IngestOptions = {}): Promise<IngestThroughput> {
  const closers: Array<() => Promise<void>> = [];
  try {
    const fakeX = await startFakeX({ port: 0, host: '127.0.0.1' });
    closers.push(() => fakeX.close());
    const edgeConfig = await writeConfigCopy(
      'wrangler.toml',
      '.bench-tmp',
      'edge-ingest-only.wrangler.toml',
      {
        withoutQueueConsumers: true,
      },
    );
    const edge = await startTarget(edgeConfig, edgeVarsFor(fakeX.url));
    closers.push(() => edge.worker.close());
    const minimal = await startTarget('bench/minimal-ingest.wrangler.toml');
    closers.push(() => minimal.worker.close());
    const bare = await startTarget('bench/bare-worker.wrangler.toml');
    closers.push(() => bare.worker.close());
    const targets = { edge, minimal, bare };

    const probes = { edge: await probe(edge.worker.url), minimal: await probe(minimal.worker.url) };
    for (const target of TARGETS) await loadSlice(targets[target], connections, warmupSeconds);

    const rounds = Math.max(1, Math.round(durationSeconds / sliceSeconds));
    const slices: Record<IngestTarget, Slice[]> = { edge: [], minimal: [], bare: [] };
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < TARGETS.length; k++) {
        const target = TARGETS[(round + k) % TARGETS.length] as IngestTarget;
        slices[target].push(await loadSlice(targets[target], connections, sliceSeconds));
      }
    }

    const figures = {
      edge: pooled(slices.edge),
      minimal: pooled(slices.minimal),
      bare: pooled(slices.bare),
    };
    const rate = (s: Slice) => s.responses / s.seconds;
    return {
      connections,
      durationSeconds: rounds * sliceSeconds,
      sliceSeconds,
      rounds,
      warmupSeconds,
      body: PURCHASE_BEACON_BODY,
      probe: probes,
      ...figures,
      ratio: figures.edge.requestsPerSecond / figures.minimal.requestsPerSecond,
      roundRatios: summarize(slices.edge.map((s, i) => rate(s) / rate(slices.minimal[i] as Slice))),
      bareRatio: figures.edge.requestsPerSecond / figures.bare.requestsPerSecond,
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

/** Seconds: any positive number. */
const positive = (value: number) => Number.isFinite(value) && value > 0;

if (import.meta.filename === process.argv[1]) {
  const figures = await measureIngestThroughput({
    durationSeconds: numberArg('--seconds', 10, positive),
    sliceSeconds: numberArg('--slice', 2, positive),
    warmupSeconds: numberArg('--warmup', 2, positive),
  });
  const line = (name: IngestTarget) => {
    const f = figures[name];
    return `${name}: ${f.requestsPerSecond.toFixed(0)} req/s, p50 ${f.latencyMs.p50} ms, p99 ${f.latencyMs.p99} ms, non-2xx ${f.non2xx}, workerd CPU ${f.workerdCpuMsPerRequest?.toFixed(3) ?? 'n/a'} ms/request`;
  };
  console.log(
    [
      ...TARGETS.map(line),
      `edge/minimal ${figures.ratio.toFixed(2)} (per round median ${figures.roundRatios.median.toFixed(2)}, ${figures.roundRatios.min.toFixed(2)}..${figures.roundRatios.max.toFixed(2)}); edge/bare ${figures.bareRatio.toFixed(2)}`,
      `probes: edge ${figures.probe.edge.status} ${figures.probe.edge.body}; minimal ${figures.probe.minimal.status} ${figures.probe.minimal.body}`,
    ].join('\n'),
  );
  process.exit(0);
}
