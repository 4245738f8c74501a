/**
 * The upload pipeline in-process, with the edge's HTTP answers played by a
 * fetch stand-in: stopping between batches, resuming, and what each run
 * sends.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeClient } from '../edge-client.ts';
import { type UploadOptions, uploadFile } from './upload-file.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xcapi-upload-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An edge that accepts every batch and records the conversion ids it got. */
function standInEdge() {
  const batches: string[][] = [];
  const fetchStandIn = async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    if (path === '/health') {
      return Response.json({ ok: true, events: { purchase: 'o9d2g', lead: 'o9d2h' } });
    }
    const { events } = JSON.parse(String(init?.body)) as { events: { conversion_id: string }[] };
    batches.push(events.map((e) => e.conversion_id));
    return Response.json(
      { accepted: events.length, conversion_ids: events.map((e) => e.conversion_id) },
      { status: 202 },
    );
  };
  const edge = createEdgeClient({
    endpoint: 'http://edge.test',
    serverKey: 'k',
    fetch: fetchStandIn as typeof fetch,
  });
  return { edge, batches };
}

async function csvFile(name: string, rows: number): Promise<string> {
  const path = join(dir, name);
  let text = 'event,order_id,email\n';
  for (let row = 1; row <= rows; row += 1) text += `purchase,${name}-${row},b${row}@example.com\n`;
  await writeFile(path, text);
  return path;
}

const quiet = { write: () => true };

function options(file: string, more: Partial<UploadOptions>): UploadOptions {
  return {
    file,
    dryRun: false,
    resume: false,
    rate: 0,
    batchSize: 3,
    skipUnknownColumns: false,
    progressTo: quiet,
    ...more,
  };
}

describe('uploadFile', () => {
  it('stops after the batch in flight when asked, and --resume sends only the rest', async () => {
    const file = await csvFile('stop', 10);
    const { edge, batches } = standInEdge();
    let asked = 0;
    const first = await uploadFile(options(file, { edge, stopRequested: () => ++asked >= 2 }));
    expect(first).toMatchObject({ interrupted: true, sent: 6, rejected: 0, rows: 6 });
    expect(batches).toEqual([
      ['stop-1', 'stop-2', 'stop-3'],
      ['stop-4', 'stop-5', 'stop-6'],
    ]);

    const second = await uploadFile(options(file, { edge, resume: true }));
    expect(second).toMatchObject({ interrupted: false, sent: 4, skipped: 6, rows: 10 });
    expect(batches.slice(2).flat()).toEqual(['stop-7', 'stop-8', 'stop-9', 'stop-10']);

    const report = parse(await readFile(`${file}.report.csv`, 'utf8'), {
      from_line: 2,
    }) as string[][];
    expect(report.map(([row, line, id, status]) => `${row}/${line}/${id}/${status}`)).toEqual(
      Array.from({ length: 10 }, (_, i) => `${i + 1}/${i + 2}/stop-${i + 1}/sent`),
    );
  });

  it('paces batches with the clock it is given', async () => {
    const file = await csvFile('paced', 9);
    const { edge } = standInEdge();
    const sleeps: number[] = [];
    let now = 0;
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    // 3 events per batch at 900 per 15 minutes: 3 s between batches.
    const summary = await uploadFile(options(file, { edge, rate: 900, clock }));
    expect(summary.sent).toBe(9);
    expect(sleeps).toEqual([3000, 3000]);
  });

  it('never sends a batch larger than the whole rate', async () => {
    const file = await csvFile('small-rate', 5);
    const { edge, batches } = standInEdge();
    const clock = { now: () => 0, sleep: async () => {} };
    await uploadFile(options(file, { edge, rate: 2, batchSize: 500, clock }));
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
  });

  it('a dry run asks the edge for its events only, and sends nothing', async () => {
    const file = await csvFile('dry', 4);
    await writeFile(file, `${await readFile(file, 'utf8')}signup,dry-5,c@example.com\n`);
    const { edge, batches } = standInEdge();
    const summary = await uploadFile(options(file, { edge, dryRun: true }));
    expect(summary).toMatchObject({ valid: 4, rejected: 1, sent: 0, journal: null });
    expect(batches).toEqual([]);
  });
});
