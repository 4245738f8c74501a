/**
 * @module
 * Cost benchmark: what one conversion costs at Cloudflare's list prices, on
 * the real path in local workerd (beacon or server call -> delivery queue ->
 * consumer -> the pixel's Durable Objects -> the fake X API in this process),
 * for three shapes:
 *
 * - browser beacons, one conversion each, as `dist/xcapi.js` sends them
 *   (each from its own client address, held `BROWSER_HOLD_SECONDS` like every
 *   browser copy; 1 s here instead of 60, which changes when, not what, is billed);
 * - server calls of 100 conversions (`Authorization: Bearer SERVER_KEY`);
 * - a CSV file uploaded by the real CLI (`x-capi-edge upload --rate 0`).
 *
 * The Worker is the edge behind bench/cost-worker.ts, which counts Worker
 * requests, queue operations, Durable Object requests and SQLite rows where
 * they happen; CPU time is the workerd processes' own (`/proc`). That CPU
 * includes local workerd's HTTP server and its queue and Durable Object
 * plumbing, which Cloudflare does not bill as Worker CPU, so the same run
 * first sends as many requests as the browser shape to a route the Worker
 * answers at once (a 404 through the same entry point) and prices each
 * shape's CPU net of that per-request baseline; the gross figure is kept
 * beside it. Each shape starts after the previous one is idle (every message
 * written was consumed and the counts stood still), so its counts are its
 * own; a warm-up first creates the Durable Objects and runs their first
 * housekeeping alarm.
 *
 * A run's figures can be saved (`--save`) and shown later as "before" beside
 * a new run (`--before`); `npm run bench` does the same with
 * `COST_BEFORE_FILE` (./lib/cost-report.ts) when it exists.
 *
 *   node bench/cost.ts                      # 300 beacons, 500 in server calls, 500 CSV rows
 *   node bench/cost.ts --conversions 100    # every shape 100
 *   node bench/cost.ts --save bench/cost-before.json   # keep this run as "before"
 *   node bench/cost.ts --before bench/cost-before.json # a new run beside the saved one
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCliProcess } from '../cli/cli-process.ts';
import { type FakeXServer, startFakeX } from '../test/fake-x/server.ts';
import { TEST_ACCOUNT } from '../test/fake-x/test-account.ts';
import { edgeVarsFor, PURCHASE_BEACON_BODY, PURCHASE_BEACON_HEADERS } from '../test/rig/beacon.ts';
import { writeConversionsCsv } from '../test/rig/conversions-csv.ts';
import { type LocalWorker, startLocalWorker } from '../test/rig/local-worker.ts';
import {
  type CostPerMillion,
  costPerMillion,
  type PerConversion,
} from './lib/cloudflare-prices.ts';
import { writeConfigCopy } from './lib/edge-config-copy.ts';
import { METER_PATH, type MeterReading } from './lib/meter-reading.ts';
import { numberArg } from './lib/number-arg.ts';
import { cpuMs, workerdChildren } from './lib/process-cpu.ts';

export type ShapeName = 'browser' | 'server' | 'csv';

export interface ShapeCost {
  shape: ShapeName;
  /** How the conversions were sent. */
  how: string;
  conversions: number;
  /** Conversions X received (unique ids), and copies beyond one per id. */
  delivered: number;
  duplicates: number;
  /** The meter's counts over the whole shape. */
  counts: MeterReading;
  /** workerd CPU over the shape (gross), or null where /proc cannot be read. */
  cpuMs: number | null;
  /** CPU per conversion: gross, the baseline's share, net (what `perConversion.cpuMs` prices). */
  cpuPerConversion: CpuPerConversion | null;
  perConversion: PerConversion;
  dollarsPerMillion: CostPerMillion;
}

/** workerd CPU per conversion, before and after taking out the requests' baseline. */
export interface CpuPerConversion {
  grossMs: number;
  /** The baseline's CPU per request times the shape's Worker requests per conversion. */
  baselineMs: number;
  /** Gross less the baseline, at least 0: what is priced as Worker CPU. */
  netMs: number;
}

/** The requests the Worker answers at once, measured the same way as the shapes. */
export interface CpuBaseline {
  /** What was sent, e.g. `POST /no-such-route (404)`. */
  route: string;
  requests: number;
  /** workerd CPU over them, or null where /proc cannot be read. */
  cpuMs: number | null;
  cpuMsPerRequest: number | null;
}

export interface CostFigures {
  measuredAt: string;
  command: string;
  browserHoldSeconds: number;
  baseline: CpuBaseline;
  shapes: ShapeCost[];
}

const CALLS_IN_FLIGHT = 4;
const EVENTS_PER_CALL = 100;
/** The hold for browser copies here (production default: 60 s). */
const HOLD_SECONDS = 1;
/** How long a shape may take to be delivered and go idle. */
const SHAPE_LIMIT_MS = Number(process.env.COST_LIMIT_MS ?? 90_000);
const POLL_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function meter(edge: LocalWorker, reset = false): Promise<MeterReading> {
  const res = await fetch(new URL(`${METER_PATH}${reset ? '?reset=1' : ''}`, edge.url));
  if (!res.ok) throw new Error(`${METER_PATH} answered ${res.status}`);
  return (await res.json()) as MeterReading;
}

/** Sums a reading's counts, to tell whether anything still moves. */
function fingerprint(r: MeterReading): string {
  const rows = r.statements.reduce((sum, s) => sum + s.runs + s.rowsRead + s.rowsWritten, 0);
  return JSON.stringify([r.queueMessages, r.durableObjectRequests, rows, r.alarmsSet]);
}

/**
 * Waits until X has every id and the edge is idle: every message written
 * since the reset was consumed, and two readings in a row are the same.
 */
async function settled(edge: LocalWorker, fakeX: FakeXServer, ids: string[]): Promise<void> {
  const wanted = new Set(ids);
  const deadline = Date.now() + SHAPE_LIMIT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const got = new Set(
      fakeX.fake
        .received(TEST_ACCOUNT.pixelId)
        .conversions.filter((c) => wanted.has(c.conversion_id))
        .map((c) => c.conversion_id),
    );
    const reading = await meter(edge);
    const print = fingerprint(reading);
    const drained = reading.queueMessages.written === reading.queueMessages.deleted;
    if (got.size === wanted.size && drained && print === last) return;
    last = print;
    await sleep(POLL_MS);
  }
  throw new Error(
    `not delivered and idle within ${SHAPE_LIMIT_MS / 1000} s: ${fingerprint(await meter(edge))}`,
  );
}

async function inParallel(tasks: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: CALLS_IN_FLIGHT }, run));
}

async function expect202(res: Response): Promise<void> {
  const text = await res.text();
  if (res.status !== 202)
    throw new Error(`POST /events answered ${res.status}: ${text.slice(0, 200)}`);
}

function sendBeacons(edge: LocalWorker, ids: string[]): Promise<void> {
  return inParallel(
    ids.map((id, i) => async () => {
      const res = await fetch(new URL('/events', edge.url), {
        method: 'POST',
        headers: {
          ...PURCHASE_BEACON_HEADERS,
          // A documentation address per beacon: sealed into the message as in production,
          // and no address meets the per-address rate limit more than twice.
          'cf-connecting-ip': `203.0.113.${i % 250}`,
        },
        body: JSON.stringify({ ...JSON.parse(PURCHASE_BEACON_BODY), conversion_id: id }),
      });
      await expect202(res);
    }),
  );
}

/** A path no route serves: the edge answers 404 without reading the body. */
const BASELINE_PATH = '/no-such-route';

/** `n` beacon-shaped requests to `BASELINE_PATH`, as many in flight as the shapes send. */
function sendBaseline(edge: LocalWorker, n: number): Promise<void> {
  return inParallel(
    Array.from({ length: n }, (_, i) => async () => {
      const res = await fetch(new URL(BASELINE_PATH, edge.url), {
        method: 'POST',
        headers: { ...PURCHASE_BEACON_HEADERS, 'cf-connecting-ip': `203.0.113.${i % 250}` },
        body: JSON.stringify({ ...JSON.parse(PURCHASE_BEACON_BODY), conversion_id: `base-${i}` }),
      });
      await res.arrayBuffer();
      if (res.status !== 404) throw new Error(`POST ${BASELINE_PATH} answered ${res.status}`);
    }),
  );
}

function sendServerCalls(edge: LocalWorker, ids: string[]): Promise<void> {
  const calls: (() => Promise<void>)[] = [];
  for (let i = 0; i < ids.length; i += EVENTS_PER_CALL) {
    const events = ids.slice(i, i + EVENTS_PER_CALL).map((id) => ({
      event: 'purchase',
      conversion_id: id,
      email: `buyer-${id}@example.com`,
      value: '20.00',
      currency: 'USD',
    }));
    calls.push(async () => {
      const res = await fetch(new URL('/events', edge.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_ACCOUNT.serverKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ events }),
      });
      await expect202(res);
    });
  }
  return inParallel(calls);
}

async function uploadCsv(edge: LocalWorker, dir: string, idPrefix: string, rows: number) {
  const file = join(dir, `${idPrefix}.csv`);
  await writeConversionsCsv(file, { rows, idPrefix });
  const { exited } = startCliProcess(
    ['upload', file, '--endpoint', edge.url.origin, '--rate', '0', '--json'],
    { XCAPI_SERVER_KEY: TEST_ACCOUNT.serverKey },
  );
  const { code, stderr } = await exited;
  if (code !== 0) throw new Error(`x-capi-edge upload exited ${code}: ${stderr.slice(0, 300)}`);
}

/**
 * The shape's CPU per conversion, gross and net of the baseline: each Worker
 * request (inbound or queue invocation) is taken to carry the baseline's
 * per-request CPU.
 */
export function cpuPerConversion(
  cpu: number | null,
  workerRequestsPerConversion: number,
  n: number,
  baseline: CpuBaseline,
): CpuPerConversion | null {
  if (cpu === null || baseline.cpuMsPerRequest === null) return null;
  const grossMs = cpu / n;
  const baselineMs = baseline.cpuMsPerRequest * workerRequestsPerConversion;
  return { grossMs, baselineMs, netMs: Math.max(0, grossMs - baselineMs) };
}

function perConversion(
  counts: MeterReading,
  n: number,
  cpu: CpuPerConversion | null,
): PerConversion {
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const q = counts.queueOperations;
  return {
    workerRequests: workerRequestsOf(counts) / n,
    queueOperations: (q.written + q.read + q.deleted) / n,
    durableObjectRequests: sum(Object.values(counts.durableObjectRequests)) / n,
    rowsRead: sum(counts.statements.map((s) => s.rowsRead)) / n,
    rowsWritten: (sum(counts.statements.map((s) => s.rowsWritten)) + counts.alarmsSet) / n,
    cpuMs: cpu?.netMs ?? null,
  };
}

/** Billed Worker requests in a reading: inbound requests and queue consumer invocations. */
function workerRequestsOf(counts: MeterReading): number {
  return counts.workerRequests.fetch + counts.workerRequests.queue;
}

/** CPU between two readings, or null when either could not be read. */
function cpuBetween(before: number | undefined, after: number | undefined): number | null {
  return before === undefined || after === undefined ? null : after - before;
}

/**
 * Runs the three shapes against one metered edge; everything on 127.0.0.1.
 *
 * @example
 * const figures = await measureCost({ browser: 300, server: 500, csv: 500 });
 */
export async function measureCost(sizes: Record<ShapeName, number>): Promise<CostFigures> {
  await mkdir('.bench-tmp', { recursive: true });
  const dir = await mkdtemp(join('.bench-tmp', 'cost-'));
  const fakeX = await startFakeX();
  try {
    const config = await writeConfigCopy('wrangler.toml', dir, 'edge-metered.wrangler.toml', {
      main: 'bench/cost-worker.ts',
    });
    const edge = await startLocalWorker({
      config,
      vars: { ...edgeVarsFor(fakeX.url), BROWSER_HOLD_SECONDS: String(HOLD_SECONDS) },
    });
    try {
      const pids = workerdChildren();
      const run = Date.now();
      // Warm-up: creates the pixel's ledger and lets its first alarm run.
      const warm = [`warm-${run}-1`, `warm-${run}-2`];
      await sendServerCalls(edge, warm);
      await settled(edge, fakeX, warm);
      await sleep(1000);
      await meter(edge, true);

      // The baseline: as many requests as the browser shape sends, answered at once.
      const baselineCpuBefore = cpuMs(pids);
      await sendBaseline(edge, sizes.browser);
      const baselineCpu = cpuBetween(baselineCpuBefore, cpuMs(pids));
      const baselineRequests = workerRequestsOf(await meter(edge, true));
      const baseline: CpuBaseline = {
        route: `POST ${BASELINE_PATH} (404), beacon headers and body`,
        requests: baselineRequests,
        cpuMs: baselineCpu,
        cpuMsPerRequest:
          baselineCpu === null || baselineRequests === 0 ? null : baselineCpu / baselineRequests,
      };

      const shapes: ShapeCost[] = [];
      const plan: [ShapeName, string, (ids: string[]) => Promise<void>][] = [
        ['browser', 'browser beacons, one conversion each', (ids) => sendBeacons(edge, ids)],
        [
          'server',
          `server calls of ${EVENTS_PER_CALL} conversions`,
          (ids) => sendServerCalls(edge, ids),
        ],
        [
          'csv',
          'CSV file, `x-capi-edge upload --rate 0`',
          (ids) => uploadCsv(edge, dir, `csv-${run}`, ids.length),
        ],
      ];
      for (const [shape, how, send] of plan) {
        const n = sizes[shape];
        const ids = Array.from({ length: n }, (_, i) =>
          shape === 'csv' ? `csv-${run}-${i + 1}` : `${shape}-${run}-${i}`,
        );
        const cpuBefore = cpuMs(pids);
        await send(ids);
        await settled(edge, fakeX, ids);
        const cpuAfter = cpuMs(pids);
        const counts = await meter(edge, true);
        const wanted = new Set(ids);
        const copies = fakeX.fake
          .received(TEST_ACCOUNT.pixelId)
          .conversions.filter((c) => wanted.has(c.conversion_id));
        const delivered = new Set(copies.map((c) => c.conversion_id)).size;
        const cpu = cpuBetween(cpuBefore, cpuAfter);
        const cpuPer = cpuPerConversion(cpu, workerRequestsOf(counts) / n, n, baseline);
        const per = perConversion(counts, n, cpuPer);
        shapes.push({
          shape,
          how,
          conversions: n,
          delivered,
          duplicates: copies.length - delivered,
          counts,
          cpuMs: cpu,
          cpuPerConversion: cpuPer,
          perConversion: per,
          dollarsPerMillion: costPerMillion(per),
        });
      }
      return {
        measuredAt: new Date().toISOString(),
        command: `node bench/cost.ts --browser ${sizes.browser} --server ${sizes.server} --csv ${sizes.csv}`,
        browserHoldSeconds: HOLD_SECONDS,
        baseline,
        shapes,
      };
    } finally {
      await edge.close();
    }
  } finally {
    await fakeX.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One line per shape, for the console; with `before`, that run's total beside each. */
export function summarizeCost(figures: CostFigures, before?: CostFigures): string {
  const b = figures.baseline;
  const head = `cost baseline: ${b.requests} requests to ${b.route}, ${b.cpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms workerd CPU per request`;
  const lines = figures.shapes.map((s) => {
    const p = s.perConversion;
    const c = s.cpuPerConversion;
    const cpu = c
      ? `${c.grossMs.toFixed(2)} ms workerd CPU gross, ${c.netMs.toFixed(2)} ms net of the baseline (priced)`
      : 'n/a ms CPU';
    const earlier = before?.shapes.find((e) => e.shape === s.shape);
    const was = earlier ? `; before: $${earlier.dollarsPerMillion.total.toFixed(2)}` : '';
    return `cost ${s.shape}: $${s.dollarsPerMillion.total.toFixed(2)} per million conversions${was} (per conversion: ${p.workerRequests.toFixed(2)} Worker requests, ${p.queueOperations.toFixed(2)} queue operations, ${p.durableObjectRequests.toFixed(2)} DO requests, ${p.rowsWritten.toFixed(2)} rows written, ${p.rowsRead.toFixed(1)} rows read, ${cpu}; ${s.delivered}/${s.conversions} delivered)`;
  });
  return [head, ...lines].join('\n');
}

/** A run saved with `--save`, or undefined when `file` does not exist. */
export async function readSavedCost(file: string): Promise<CostFigures | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CostFigures;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = (n: number) => Number.isInteger(n) && n > 0 && n <= 100_000;
  const all = numberArg('--conversions', 0, count);
  // The sizes are read by numberArg; parseArgs takes the two file options.
  const { values: files } = parseArgs({
    options: { before: { type: 'string' }, save: { type: 'string' } },
    strict: false,
  });
  const beforeFile = typeof files.before === 'string' ? files.before : undefined;
  const before = beforeFile ? await readSavedCost(beforeFile) : undefined;
  if (beforeFile && !before) throw new Error(`${beforeFile} does not exist`);
  const figures = await measureCost({
    browser: numberArg('--browser', all || 300, count),
    server: numberArg('--server', all || 500, count),
    csv: numberArg('--csv', all || 500, count),
  });
  const saveFile = typeof files.save === 'string' ? files.save : undefined;
  if (saveFile) await writeFile(saveFile, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(JSON.stringify(figures));
  console.log(summarizeCost(figures, before));
  process.exit(0);
}
