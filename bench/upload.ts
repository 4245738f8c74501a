/**
 * @module
 * Upload benchmark: how fast `x-capi-edge upload` gets a CSV file through the
 * edge unpaced (`--rate 0`), and the CLI process's peak RSS on a large file.
 *
 * - Throughput: a generated file of `rows` conversions (test/rig/conversions-csv.ts)
 *   uploaded by the real CLI (`cli/bin.mjs`, a child process) to the real Worker in
 *   local workerd (wrangler's dev environment, its queues and Durable Objects),
 *   delivering to the fake X API in this process. rows/s counts the CLI's whole run
 *   (process start to exit), validation, requests and report included.
 * - Memory: a generated file of `rssRows` rows through `upload --dry-run` (every row
 *   read, mapped, judged with the edge's rules and reported; nothing sent), and the
 *   throughput run's own peak. Peak RSS is the kernel's high-water mark (`VmHWM` in
 *   /proc/PID/status) of the CLI process, read until it exits.
 *
 *   node bench/upload.ts                          # 10,000 rows through the edge, 100,000 dry run
 *   node bench/upload.ts --rows 20000 --rss-rows 1000000
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCliProcess } from '../cli/cli-process.ts';
import type { UploadSummary } from '../cli/upload/upload-file.ts';
import { startFakeX } from '../test/fake-x/server.ts';
import { TEST_ACCOUNT } from '../test/fake-x/test-account.ts';
import { edgeVarsFor } from '../test/rig/beacon.ts';
import { writeConversionsCsv } from '../test/rig/conversions-csv.ts';
import { startLocalWorker } from '../test/rig/local-worker.ts';

/** How often the CLI's memory high-water mark is read. */
const RSS_POLL_MS = 100;

export interface CliRun {
  rows: number;
  wallSeconds: number;
  rowsPerSecond: number;
  peakRssMb: number | null;
  exitCode: number | null;
  summary: Pick<UploadSummary, 'sent' | 'rejected' | 'valid' | 'seconds'>;
}

export interface UploadFigures {
  throughput: CliRun & { command: string };
  memory: CliRun & { command: string };
}

async function highWaterMarkKb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) : null;
}

/** Runs the CLI on `file` and watches its peak RSS. */
async function runCli(args: string[], rows: number): Promise<CliRun> {
  const started = performance.now();
  const { child, exited } = startCliProcess([...args, '--json'], {
    XCAPI_SERVER_KEY: TEST_ACCOUNT.serverKey,
  });
  let peakKb: number | null = null;
  let running = true;
  void exited.then(() => {
    running = false;
  });
  while (running && child.pid !== undefined) {
    const kb = await highWaterMarkKb(child.pid);
    if (kb !== null) peakKb = Math.max(peakKb ?? 0, kb);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, RSS_POLL_MS))]);
  }
  const { code: exitCode, stdout, stderr } = await exited;
  const wallSeconds = (performance.now() - started) / 1000;
  let summary: CliRun['summary'];
  try {
    summary = JSON.parse(stdout);
  } catch {
    throw new Error(`the CLI exited ${exitCode} without its summary: ${stderr.slice(0, 300)}`);
  }
  return {
    rows,
    wallSeconds,
    rowsPerSecond: rows / wallSeconds,
    peakRssMb: peakKb === null ? null : peakKb / 1024,
    exitCode,
    summary,
  };
}

/**
 * Measures both figures; everything runs on 127.0.0.1 and in a temp directory.
 *
 * @example
 * const figures = await measureUpload({ rows: 10_000, rssRows: 100_000 });
 */
export async function measureUpload({
  rows,
  rssRows,
}: {
  rows: number;
  rssRows: number;
}): Promise<UploadFigures> {
  await mkdir('.bench-tmp', { recursive: true });
  const dir = await mkdtemp(join('.bench-tmp', 'upload-'));
  const fakeX = await startFakeX();
  try {
    const edge = await startLocalWorker({
      config: 'wrangler.toml',
      vars: edgeVarsFor(fakeX.url),
    });
    let throughput: UploadFigures['throughput'];
    try {
      const file = join(dir, 'through-edge.csv');
      await writeConversionsCsv(file, { rows, idPrefix: `bench-${Date.now()}` });
      const args = ['upload', file, '--endpoint', edge.url.origin, '--rate', '0'];
      throughput = {
        command: `x-capi-edge upload FILE --endpoint EDGE --rate 0 (${rows.toLocaleString('en-US')} rows)`,
        ...(await runCli(args, rows)),
      };
    } finally {
      await edge.close();
    }
    const bigFile = join(dir, 'dry-run.csv');
    await writeConversionsCsv(bigFile, { rows: rssRows, idPrefix: 'rss' });
    const memory = {
      command: `x-capi-edge upload FILE --dry-run (${rssRows.toLocaleString('en-US')} rows)`,
      ...(await runCli(['upload', bigFile, '--dry-run'], rssRows)),
    };
    return { throughput, memory };
  } finally {
    await fakeX.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function describeRun(run: CliRun): string {
  return `${run.rows.toLocaleString('en-US')} rows in ${run.wallSeconds.toFixed(1)} s = ${Math.round(run.rowsPerSecond).toLocaleString('en-US')} rows/s, peak RSS ${run.peakRssMb?.toFixed(0) ?? 'n/a'} MB, exit ${run.exitCode}`;
}

/** One line per figure, for the console. */
export function summarizeUpload(figures: UploadFigures): string {
  return `upload through the edge: ${describeRun(figures.throughput)}; dry run: ${describeRun(figures.memory)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { rows: { type: 'string' }, 'rss-rows': { type: 'string' } },
  });
  const figures = await measureUpload({
    rows: Number(values.rows ?? 10_000),
    rssRows: Number(values['rss-rows'] ?? 100_000),
  });
  console.log(JSON.stringify(figures));
  console.log(summarizeUpload(figures));
  process.exit(0);
}
