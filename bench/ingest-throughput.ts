/**
 * @module
 * Edge ingest throughput: the real Worker (wrangler.toml, local workerd,
 * delivering to the fake X API started in this process) and a bare Worker
 * that only answers 202 (bench/bare-worker.ts), started the same way in the
 * same run and driven by autocannon with the same purchase beacon. The ratio
 * edge/bare is the figure that travels between machines: what ingest costs
 * on top of workerd and the local server themselves.
 */
import autocannon, { type Result } from 'autocannon';
import { startFakeX } from '../test/fake-x/server.ts';
import { TEST_ACCOUNT } from '../test/fake-x/test-account.ts';
import { edgeVarsFor, PURCHASE_BEACON_BODY, PURCHASE_BEACON_HEADERS } from './lib/beacon.ts';
import { startLocalWorker } from './lib/local-worker.ts';

export interface LoadFigures {
  /** Mean of autocannon's per-second request counts. */
  requestsPerSecond: number;
  /** Responses received in the whole run. */
  responses: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  /** Responses per HTTP status. */
  statusCounts: Record<string, number>;
}

export interface IngestThroughput {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** The request body sent (with autocannon's `[<id>]` marker). */
  body: string;
  /** What one beacon got from the edge before the load, to show it really ingests. */
  probe: { status: number; body: string };
  edge: LoadFigures;
  bare: LoadFigures;
  /** edge.requestsPerSecond / bare.requestsPerSecond. */
  ratio: number;
  /** Conversions the fake X API had accepted when the edge run ended. */
  deliveredDuringRun: number;
}

export interface IngestOptions {
  /** Seconds of measured load per Worker. */
  durationSeconds?: number;
  /** Seconds of unmeasured load first (bundle JIT, isolate warm-up). */
  warmupSeconds?: number;
  connections?: number;
}

function figuresOf(result: Result): LoadFigures {
  return {
    requestsPerSecond: result.requests.average,
    responses: result.requests.total,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, Number(count)]),
    ),
  };
}

function load(url: URL, connections: number, durationSeconds: number): Promise<Result> {
  return autocannon({
    url: new URL('events', url).href,
    method: 'POST',
    headers: PURCHASE_BEACON_HEADERS,
    body: PURCHASE_BEACON_BODY,
    idReplacement: true,
    connections,
    pipelining: 1,
    duration: durationSeconds,
    timeout: 10,
  });
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

/**
 * Starts the fake X API, the edge and the bare Worker, loads each in turn,
 * and shuts everything down (also on error).
 *
 * 2 connections by default: the machine this was written for has 2 cores,
 * shared by autocannon (plus the fake X API in the same Node process) and
 * workerd. One request in flight per core keeps
 * workerd busy; more connections would only queue inside it and inflate
 * latency without adding throughput.
 *
 * @example
 * const figures = await measureIngestThroughput({ durationSeconds: 10 });
 * console.log(figures.edge.requestsPerSecond, figures.ratio);
 */
export async function measureIngestThroughput({
  durationSeconds = 10,
  warmupSeconds = 2,
  connections = 2,
}: IngestOptions = {}): Promise<IngestThroughput> {
  const closers: Array<() => Promise<void>> = [];
  try {
    const fakeX = await startFakeX({ port: 0, host: '127.0.0.1' });
    closers.push(() => fakeX.close());
    const edge = await startLocalWorker({ config: 'wrangler.toml', vars: edgeVarsFor(fakeX.url) });
    closers.push(() => edge.close());
    const bare = await startLocalWorker({ config: 'bench/bare-worker.wrangler.toml' });
    closers.push(() => bare.close());

    const edgeProbe = await probe(edge.url);
    await load(bare.url, connections, warmupSeconds);
    await load(edge.url, connections, warmupSeconds);
    const deliveredBefore = fakeX.fake.received(TEST_ACCOUNT.pixelId).conversions.length;
    const edgeResult = figuresOf(await load(edge.url, connections, durationSeconds));
    const deliveredAfter = fakeX.fake.received(TEST_ACCOUNT.pixelId).conversions.length;
    const bareResult = figuresOf(await load(bare.url, connections, durationSeconds));

    return {
      connections,
      durationSeconds,
      warmupSeconds,
      body: PURCHASE_BEACON_BODY,
      probe: edgeProbe,
      edge: edgeResult,
      bare: bareResult,
      ratio: edgeResult.requestsPerSecond / bareResult.requestsPerSecond,
      deliveredDuringRun: deliveredAfter - deliveredBefore,
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}
