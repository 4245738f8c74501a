import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReport } from './report.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xcapi-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (row: number, status: 'sent' | 'rejected', reason = '') => ({
  row,
  line: row + 1,
  conversion_id: `o-${row}`,
  status,
  reason,
});

describe('openReport', () => {
  it('writes a header and quoted reasons', async () => {
    const path = join(dir, 'a.csv.report.csv');
    const report = await openReport(path, {});
    await report.write([line(1, 'sent'), line(2, 'rejected', 'INVALID_PARAMETER: "x", y (email)')]);
    await report.close();
    expect(parse(await readFile(path, 'utf8'))).toEqual([
      ['row', 'line', 'conversion_id', 'status', 'reason'],
      ['1', '2', 'o-1', 'sent', ''],
      ['2', '3', 'o-2', 'rejected', 'INVALID_PARAMETER: "x", y (email)'],
    ]);
  });

  it('on resume keeps only earlier rows the journal covers as sent, then appends', async () => {
    const path = join(dir, 'b.csv.report.csv');
    const first = await openReport(path, {});
    await first.write([
      line(1, 'sent'),
      line(2, 'rejected', 'bad'),
      line(3, 'sent'),
      line(4, 'sent'),
    ]);
    await first.close();
    // Row 4 was reported but its batch never reached the journal (killed in between).
    const second = await openReport(path, { keepEarlier: (row) => row !== 4 });
    await second.write([line(2, 'sent'), line(4, 'sent')]);
    await second.close();
    const rows = parse(await readFile(path, 'utf8'), { from_line: 2 }) as string[][];
    expect(rows.map(([row, , , status]) => `${row}:${status}`)).toEqual([
      '1:sent',
      '3:sent',
      '2:sent',
      '4:sent',
    ]);
  });

  it('on resume without the earlier report (deleted) starts a new one', async () => {
    const path = join(dir, 'gone.csv.report.csv');
    const report = await openReport(path, { keepEarlier: () => true });
    await report.write([line(5, 'sent')]);
    await report.close();
    expect(parse(await readFile(path, 'utf8'))).toEqual([
      ['row', 'line', 'conversion_id', 'status', 'reason'],
      ['5', '6', 'o-5', 'sent', ''],
    ]);
  });
});
