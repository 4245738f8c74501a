import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CsvRecord, openCsv } from './read-rows.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xcapi-read-rows-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readFileText(name: string, text: string) {
  const path = join(dir, name);
  await writeFile(path, text);
  const csv = await openCsv(path);
  const records: CsvRecord[] = [];
  for await (const record of csv.records()) records.push(record);
  return { csv, records };
}

describe('openCsv', () => {
  it('reads a comma file with quoted fields holding delimiters, quotes and line breaks', async () => {
    const { csv, records } = await readFileText(
      'quoted.csv',
      'event,description,value\npurchase,"Mug, large ""blue""",1\nlead,"two\nlines",2\nsignup,plain,3\n',
    );
    expect(csv.header).toEqual(['event', 'description', 'value']);
    expect(csv.delimiter).toBe(',');
    expect(records).toEqual([
      { row: 1, line: 2, fields: ['purchase', 'Mug, large "blue"', '1'] },
      { row: 2, line: 3, fields: ['lead', 'two\nlines', '2'] },
      { row: 3, line: 5, fields: ['signup', 'plain', '3'] },
    ]);
  });

  it('reads a ; file with a byte-order mark and CRLF line ends, skipping blank lines', async () => {
    const { csv, records } = await readFileText(
      'excel.csv',
      '\uFEFFevent;email;value\r\npurchase;a@b.example;"12,50"\r\n\r\nlead;"c\r\nd";2\r\nsignup;e;3',
    );
    expect(csv.header).toEqual(['event', 'email', 'value']);
    expect(csv.delimiter).toBe(';');
    expect(records.map((r) => [r.row, r.line, r.fields[0]])).toEqual([
      [1, 2, 'purchase'],
      [2, 4, 'lead'],
      [3, 6, 'signup'],
    ]);
    expect(records[0]?.fields[2]).toBe('12,50');
  });

  it('counts the bytes it has read, up to the file size', async () => {
    const { csv } = await readFileText('size.csv', 'event\npurchase\n');
    expect(csv.size).toBe(15);
    expect(csv.bytesRead()).toBe(15);
  });

  it('stops at a broken quote with the file name and line', async () => {
    await expect(
      readFileText('broken.csv', 'event,email\npurchase,a@b.example\npurchase,"b@c.example"x\n'),
    ).rejects.toThrow(/^broken\.csv is not valid CSV: Invalid Closing Quote: .* at line 3/);
  });

  it('stops at a row with more cells than the header, naming its line', async () => {
    await expect(
      readFileText('wide.csv', 'event,email\npurchase,a\npurchase,b\nlead,c,extra\n'),
    ).rejects.toThrow(/^wide\.csv is not valid CSV: Invalid Record Length: .* on line 4/);
  });

  it('stops at a quote left open, naming the file', async () => {
    await expect(readFileText('open.csv', 'event,email\npurchase,"a@b.example\n')).rejects.toThrow(
      /^open\.csv is not valid CSV: Quote Not Closed/,
    );
  });

  it('refuses an empty file and a missing file clearly', async () => {
    await expect(readFileText('empty.csv', '')).rejects.toThrow(
      'empty.csv is empty: expected a header row',
    );
    await expect(openCsv(join(dir, 'nope.csv'))).rejects.toThrow(
      /^cannot read .*nope\.csv: ENOENT$/,
    );
  });
});
