/**
 * The upload CLI end to end: the real `cli/bin.mjs` in a child process, real
 * CSV files in a temp dir, the real edge in local workerd (its queues and
 * Durable Objects) delivering to the fake X API over HTTP.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeXControl } from '../../test/fake-x/control.ts';
import type { FakeXServer } from '../../test/fake-x/server.ts';
import { TEST_ACCOUNT } from '../../test/fake-x/test-account.ts';
import { writeConversionsCsv } from '../../test/rig/conversions-csv.ts';
import type { LocalWorker } from '../../test/rig/local-worker.ts';
import { runCliProcess, startCliProcess } from '../cli-process.ts';
import { type E2eRig, startE2eRig } from '../e2e-rig.ts';

/**
 * How long deliveries may take to reach the fake X before a test fails: a
 * bound for a machine shared with other work, not a speed expectation.
 */
const DELIVERY_LIMIT_MS = 180_000;

let fakeX: FakeXServer;
let control: FakeXControl;
let edge: LocalWorker;
let dir: string;

let rig: E2eRig;

beforeAll(async () => {
  rig = await startE2eRig('xcapi-upload-e2e-');
  ({ dir, fakeX, control, edge } = rig);
}, 60_000);

afterAll(() => rig?.close());

const KEY = { XCAPI_SERVER_KEY: TEST_ACCOUNT.serverKey };
const cli = (args: string[]) => runCliProcess(args, KEY);
const endpoint = () => edge.url.origin;

/** Counts, per conversion id starting with `prefix`, how often X accepted it. */
function countIds(conversions: readonly { conversion_id: string }[], prefix: string) {
  const counts = new Map<string, number>();
  for (const { conversion_id: id } of conversions) {
    if (id?.startsWith(prefix)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** What the fake X accepted, through its control client. */
async function atX(prefix: string): Promise<Map<string, number>> {
  return countIds((await control.received(TEST_ACCOUNT.pixelId)).conversions, prefix);
}

/**
 * Waits (bounded) until `expected` distinct ids of `prefix` reached the fake
 * X, then reads them through its control client. The waiting reads the fake's
 * in-process record: copying thousands of conversions over HTTP every poll
 * would take the CPU the edge needs to deliver them.
 */
async function waitAtX(prefix: string, expected: number): Promise<Map<string, number>> {
  const deadline = Date.now() + DELIVERY_LIMIT_MS;
  const arrived = () =>
    countIds(fakeX.fake.received(TEST_ACCOUNT.pixelId).conversions, prefix).size;
  while (arrived() < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return atX(prefix);
}

async function reportOf(file: string): Promise<string[][]> {
  return parse(await readFile(`${file}.report.csv`, 'utf8'), { from_line: 2 }) as string[][];
}

const BAD_ROWS = new Set([3, 777, 5_000, 12_345, 19_999]);

describe('npx x-capi-edge upload', () => {
  it('sends 20,000 rows, refuses the bad ones, and X gets each good one once', async () => {
    const file = join(dir, 'big.csv');
    await writeConversionsCsv(file, { rows: 20_000, idPrefix: 'big', badRows: BAD_ROWS });
    const run = await cli(['upload', file, '--endpoint', endpoint(), '--rate', '0', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      rows: 20_000,
      sent: 20_000 - BAD_ROWS.size,
      rejected: BAD_ROWS.size,
      skipped: 0,
      interrupted: false,
    });

    const report = await reportOf(file);
    expect(report).toHaveLength(20_000);
    expect(new Set(report.map(([row]) => Number(row))).size).toBe(20_000);
    const rejected = report.filter(([, , , status]) => status === 'rejected');
    expect(rejected.map(([row]) => Number(row)).sort((a, b) => a - b)).toEqual([...BAD_ROWS]);
    for (const [row, line, id, , reason] of rejected) {
      expect(Number(line)).toBe(Number(row) + 1);
      expect(id).toBe(`big-${row}`);
      expect(reason).toBe('INVALID_PARAMETER: email is not a valid email address (email)');
    }
    expect(report.filter(([, , , status]) => status === 'sent')).toHaveLength(
      20_000 - BAD_ROWS.size,
    );

    const counts = await waitAtX('big-', 20_000 - BAD_ROWS.size);
    expect(counts.size).toBe(20_000 - BAD_ROWS.size);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const row of BAD_ROWS) expect(counts.has(`big-${row}`)).toBe(false);
  }, 300_000);

  it('killed half way and resumed: every row reaches X once, none sent twice by the CLI', async () => {
    const file = join(dir, 'killed.csv');
    await writeConversionsCsv(file, { rows: 3_000, idPrefix: 'killed' });
    const journal = `${file}.upload-journal`;
    // 100 events per request, 4 requests a second: slow enough to be killed in the middle.
    const first = startCliProcess(
      ['upload', file, '--endpoint', endpoint(), '--batch-size', '100', '--rate', '360000'],
      KEY,
    );
    const deadline = Date.now() + 30_000;
    let batches = 0;
    while (batches < 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const text = await readFile(journal, 'utf8').catch(() => '');
      batches = text.split('\n').filter(Boolean).length - 1;
    }
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    expect(batches).toBeGreaterThanOrEqual(5);

    const again = await cli(['upload', file, '--endpoint', endpoint(), '--rate', '0', '--json']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /upload-journal exists: this file was uploaded before\. Add --resume/,
    );

    const resumed = await cli([
      'upload',
      file,
      '--endpoint',
      endpoint(),
      '--rate',
      '0',
      '--resume',
      '--json',
    ]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary.skipped).toBeGreaterThanOrEqual(500);
    expect(summary.skipped).toBeLessThan(3_000);
    expect(summary.sent + summary.skipped).toBe(3_000);
    expect(summary.rejected).toBe(0);

    const report = await reportOf(file);
    expect(report).toHaveLength(3_000);
    expect(new Set(report.map(([row]) => row)).size).toBe(3_000);
    expect(report.every(([, , , status]) => status === 'sent')).toBe(true);

    const counts = await waitAtX('killed-', 3_000);
    expect(counts.size).toBe(3_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    const nothingLeft = await cli(['upload', file, '--endpoint', endpoint(), '--resume', '--json']);
    expect(JSON.parse(nothingLeft.stdout)).toMatchObject({ sent: 0, skipped: 3_000 });
  }, 300_000);

  it('a dry run judges every row against the edge configuration and sends nothing', async () => {
    const file = join(dir, 'dry.csv');
    await writeConversionsCsv(file, {
      rows: 400,
      idPrefix: 'dry',
      badRows: new Set([10]),
      delimiter: ';',
    });
    await writeFile(file, `${await readFile(file, 'utf8')}nosuch;dry-401;a@b.example;;1;EUR;x\n`);
    const run = await cli(['upload', file, '--endpoint', endpoint(), '--dry-run']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `dry run of ${file}: 401 rows, 399 valid, 2 rejected; nothing was sent`,
    );
    const report = parse(await readFile(`${file}.dry-run.csv`, 'utf8'), {
      from_line: 2,
    }) as string[][];
    expect(
      report
        .filter(([, , , status]) => status === 'rejected')
        .map(([row, , , , reason]) => [row, reason]),
    ).toEqual([
      ['10', 'INVALID_PARAMETER: email is not a valid email address (email)'],
      [
        '401',
        'INVALID_PARAMETER: Unknown event: configured events are purchase, lead, signup (event)',
      ],
    ]);
    await expect(stat(`${file}.upload-journal`)).rejects.toThrow(/ENOENT/);
    await expect(stat(`${file}.report.csv`)).rejects.toThrow(/ENOENT/);
    // Checked after the other uploads' deliveries: nothing of this file ever reached X.
    expect((await atX('dry-')).size).toBe(0);
  }, 30_000);

  it('stops at a malformed line with its number, having sent only the rows before it', async () => {
    const file = join(dir, 'broken.csv');
    await writeFile(
      file,
      'event,transaction_id,email\npurchase,broken-1,a@b.example\npurchase,broken-2,"c@d.example"x\npurchase,broken-3,e@f.example\n',
    );
    const run = await cli(['upload', file, '--endpoint', endpoint()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^x-capi-edge: broken\.csv is not valid CSV: Invalid Closing Quote: .* at line 3/,
    );
    expect((await atX('broken-')).has('broken-3')).toBe(false);
  }, 30_000);
});
