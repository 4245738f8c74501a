/**
 * @module
 * `npm run bench` (after `npm run build`): runs every benchmark part in turn,
 * prints a summary, and writes BENCHMARKS.md and bench/results.json. A part
 * that fails is reported as not measured, with why; the run goes on.
 *
 *     node bench/run.ts            # the full run (about 9 minutes on 2 cores)
 *     node bench/run.ts --quick    # a short smoke run of every part
 *     node bench/run.ts --only cost   # one part again; the others from bench/results.json
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { DeliveryOutcome } from './delivery-figures.ts';
import type { LoadFigures } from './ingest-throughput.ts';
import { COST_BEFORE_FILE } from './lib/cost-report.ts';
import { describeMachine } from './lib/machine.ts';
import { type BenchResults, type PartOutcome, renderBenchmarks } from './lib/report.ts';

const quick = process.argv.includes('--quick');

/** Sizes of each part; `--quick` shrinks them for a smoke run. */
const SETTINGS = quick
  ? {
      pageLoads: 8,
      warmupLoads: 1,
      mainThreadLimitSeconds: 40,
      profileLoads: 2,
      apiProbeLoads: 3,
      apiWarmupLoads: 1,
      apiFloorLimitSeconds: 40,
      ingestSeconds: 2,
      ingestSliceSeconds: 1,
      ingestWarmupSeconds: 1,
      connections: 2,
      cryptoBatches: 5,
      deliveryConversions: 1000,
      deliveryLimitSeconds: 90,
      uploadRows: 2000,
      uploadRssRows: 20_000,
      costBrowser: 50,
      costServer: 100,
      costCsv: 100,
    }
  : {
      pageLoads: 50,
      warmupLoads: 3,
      mainThreadLimitSeconds: 200,
      profileLoads: 5,
      apiProbeLoads: 15,
      apiWarmupLoads: 1,
      apiFloorLimitSeconds: 110,
      ingestSeconds: 10,
      ingestSliceSeconds: 2,
      ingestWarmupSeconds: 2,
      connections: 2,
      cryptoBatches: 15,
      deliveryConversions: 10_000,
      deliveryLimitSeconds: 240,
      uploadRows: 10_000,
      uploadRssRows: 100_000,
      costBrowser: 300,
      costServer: 500,
      costCsv: 500,
    };

/**
 * The whole run must end inside 9 minutes. Parts are bounded on their own;
 * the delivery child gets what is left of this, and the watchdog only fires
 * if something hangs regardless.
 */
const RUN_LIMIT_MS = 530_000;

function errorText(error: unknown): string {
  return error instanceof Error
    ? (error.stack ?? error.message).split('\n').slice(0, 3).join(' ')
    : String(error);
}

async function part<T>(name: string, measure: () => Promise<T>): Promise<PartOutcome<T>> {
  const started = performance.now();
  process.stdout.write(`bench: ${name}...\n`);
  try {
    const value = await measure();
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`bench: ${name} done in ${seconds.toFixed(1)} s\n`);
    return { ok: true, seconds, value };
  } catch (error) {
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `bench: ${name} FAILED after ${seconds.toFixed(1)} s: ${errorText(error)}\n`,
    );
    return { ok: false, seconds, error: errorText(error) };
  }
}

async function summaryLines(results: BenchResults): Promise<string[]> {
  const lines: string[] = [];
  const { size, mainThread, apiFloor, ingest, crypto, delivery, upload, cost } = results;
  if (size.ok) {
    for (const f of [...size.value.files, ...size.value.peers])
      lines.push(`size ${f.file}: ${f.raw} B raw, ${f.gzip} B gzip, ${f.brotli} B brotli`);
  }
  if (mainThread.ok) {
    lines.push((await import('./client-main-thread.ts')).summarizeMainThread(mainThread.value));
  }
  if (apiFloor.ok) {
    const f = apiFloor.value;
    lines.push(
      `Web API first use (${f.loadsPerProbe} loads each): ${f.probes.map((p) => `${p.api.replaceAll('`', '')} ${p.ownScriptMs.toFixed(2)}`).join(', ')} ms; capture floor ${f.captureFloorMs.toFixed(2)} ms`,
    );
  }
  if (ingest.ok) {
    const i = ingest.value;
    const load = (f: LoadFigures) =>
      `${f.requestsPerSecond.toFixed(0)} req/s (p50 ${f.latencyMs.p50.toFixed(1)} ms, p99 ${f.latencyMs.p99.toFixed(1)} ms, non-2xx ${f.non2xx}, CPU ${f.workerdCpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms/request)`;
    lines.push(
      `ingest: edge ${load(i.edge)}; minimal ${load(i.minimal)}; bare ${load(i.bare)}; edge/minimal ${i.ratio.toFixed(2)}, edge/bare ${i.bareRatio.toFixed(2)}`,
    );
  }
  if (crypto.ok) {
    for (const op of crypto.value.ops) {
      lines.push(
        `crypto ${op.op}: node ${op.nodeMicros.median.toFixed(1)} µs, workerd ${op.workerdMicros?.toFixed(1) ?? `n/a (${op.workerdError})`} µs`,
      );
    }
  }
  if (upload.ok) lines.push((await import('./upload.ts')).summarizeUpload(upload.value));
  if (cost.ok) {
    lines.push((await import('./cost.ts')).summarizeCost(cost.value, results.costBefore));
  }
  lines.push(
    delivery.status === 'measured'
      ? `delivery: ${delivery.summary}`
      : `delivery: ${delivery.status} (${delivery.reason})`,
  );
  for (const [name, outcome] of Object.entries({
    size,
    mainThread,
    apiFloor,
    ingest,
    crypto,
    upload,
    cost,
  })) {
    if (!outcome.ok) lines.push(`${name}: NOT MEASURED (${outcome.error})`);
  }
  return lines;
}

/** The parts measured in this process, in the order a full run takes them. */
const PARTS = {
  size: () =>
    part('browser script size', async () => (await import('./client-size.ts')).measureClientSize()),
  crypto: () =>
    part('hashing and signing cost', async () =>
      (await import('./crypto-cost.ts')).measureCryptoCost({ batches: SETTINGS.cryptoBatches }),
    ),
  mainThread: () =>
    part('main-thread time in Chromium', async () =>
      (await import('./client-main-thread.ts')).measureClientMainThread({
        loads: SETTINGS.pageLoads,
        warmupLoads: SETTINGS.warmupLoads,
        timeLimitMs: SETTINGS.mainThreadLimitSeconds * 1000,
        profileLoads: SETTINGS.profileLoads,
      }),
    ),
  apiFloor: () =>
    part('first use of each Web API in Chromium', async () =>
      (await import('./client-api-floor.ts')).measureApiFloor({
        loads: SETTINGS.apiProbeLoads,
        warmupLoads: SETTINGS.apiWarmupLoads,
        timeLimitMs: SETTINGS.apiFloorLimitSeconds * 1000,
      }),
    ),
  ingest: () =>
    part('edge ingest throughput', async () =>
      (await import('./ingest-throughput.ts')).measureIngestThroughput({
        durationSeconds: SETTINGS.ingestSeconds,
        sliceSeconds: SETTINGS.ingestSliceSeconds,
        warmupSeconds: SETTINGS.ingestWarmupSeconds,
        connections: SETTINGS.connections,
      }),
    ),
  upload: () =>
    part('CSV upload through the edge (bench/upload.ts)', async () =>
      (await import('./upload.ts')).measureUpload({
        rows: SETTINGS.uploadRows,
        rssRows: SETTINGS.uploadRssRows,
      }),
    ),
  cost: () =>
    part('cost per conversion (bench/cost.ts)', async () =>
      (await import('./cost.ts')).measureCost({
        browser: SETTINGS.costBrowser,
        server: SETTINGS.costServer,
        csv: SETTINGS.costCsv,
      }),
    ),
};

type PartName = keyof typeof PARTS;

function isPartName(name: string | undefined): name is PartName {
  return name !== undefined && Object.hasOwn(PARTS, name);
}

/** Every part, as a full run measures them. */
async function measureAll(
  started: number,
): Promise<Omit<BenchResults, 'command' | 'machine' | 'totalSeconds' | 'settings'>> {
  const size = await PARTS.size();
  const crypto = await PARTS.crypto();
  const mainThread = await PARTS.mainThread();
  const apiFloor = await PARTS.apiFloor();
  const ingest = await PARTS.ingest();
  const upload = await PARTS.upload();
  const cost = await PARTS.cost();
  const deliveryPart = await part('delivery (bench/delivery.ts)', async () =>
    (await import('./delivery-figures.ts')).runDeliveryBench({
      conversions: SETTINGS.deliveryConversions,
      // What is left of the run's limit, keeping 15 s to write the report.
      timeoutMs: Math.max(
        10_000,
        Math.min(
          SETTINGS.deliveryLimitSeconds * 1000,
          RUN_LIMIT_MS - 15_000 - (performance.now() - started),
        ),
      ),
    }),
  );
  const delivery: DeliveryOutcome = deliveryPart.ok
    ? deliveryPart.value
    : { status: 'failed', command: 'node bench/delivery.ts', reason: deliveryPart.error };
  return { size, mainThread, apiFloor, ingest, crypto, delivery, upload, cost };
}

async function main(): Promise<number> {
  const started = performance.now();
  const machine = describeMachine();
  console.log(
    `bench: ${machine.cpus} x ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAverage.join(' ')}`,
  );
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex === -1 ? undefined : process.argv[onlyIndex + 1];
  if (onlyIndex !== -1 && !isPartName(only)) {
    console.error(`bench: --only takes one of ${Object.keys(PARTS).join(', ')}`);
    return 2;
  }

  const costBefore = await (await import('./cost.ts')).readSavedCost(COST_BEFORE_FILE);
  let results: BenchResults;
  if (isPartName(only)) {
    // One part again; the rest of the report (machine, date included) is the last full run's.
    const earlier = JSON.parse(await readFile('bench/results.json', 'utf8')) as BenchResults;
    results = { ...earlier, [only]: await PARTS[only]() };
    delete results.costBefore;
  } else {
    results = {
      command: quick ? 'node bench/run.ts --quick' : 'npm run bench',
      machine,
      settings: SETTINGS,
      ...(await measureAll(started)),
      totalSeconds: (performance.now() - started) / 1000,
    };
  }
  if (costBefore) results.costBefore = costBefore;
  await writeFile('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
  await writeFile('BENCHMARKS.md', renderBenchmarks(results));
  console.log(
    [
      '',
      ...(await summaryLines(results)),
      '',
      'bench: wrote BENCHMARKS.md and bench/results.json',
    ].join('\n'),
  );
  const { size, crypto, mainThread, apiFloor, ingest, upload, cost } = results;
  return [size, crypto, mainThread, apiFloor, ingest, upload, cost].every((outcome) => outcome.ok)
    ? 0
    : 1;
}

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${(RUN_LIMIT_MS + 10_000) / 1000} s; giving up`);
  process.exit(2);
}, RUN_LIMIT_MS + 10_000);
watchdog.unref();

// Explicit exit: wrangler and Chromium can leave handles that would keep Node alive
// after every part has closed what it started.
main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`bench: ${errorText(error)}`);
    process.exit(1);
  },
);
