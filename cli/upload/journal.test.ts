import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal, rowRanges } from './journal.ts';

let dir: string;
let path: string;
const columns = ['event', 'transaction_id', 'email'];
const rows = (...numbers: number[]) => numbers.map((row) => ({ row, conversionId: `o-${row}` }));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xcapi-journal-'));
  path = join(dir, 'orders.csv.upload-journal');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rowRanges', () => {
  it('folds consecutive rows into inclusive ranges', () => {
    expect(rowRanges([1, 2, 3, 5, 7, 8])).toEqual([
      [1, 3],
      [5, 5],
      [7, 8],
    ]);
    expect(rowRanges([])).toEqual([]);
  });
});

describe('openJournal', () => {
  it('remembers accepted batches across runs, and only those', async () => {
    const first = await openJournal(path, { resume: false, columns });
    await first.record(rows(1, 2, 3, 5));
    await first.record(rows(6, 7));
    await first.close();

    const second = await openJournal(path, { resume: true, columns });
    expect(second.earlierRows).toBe(6);
    const sent = [1, 2, 3, 4, 5, 6, 7, 8].filter((row) => second.sentBefore(row, `o-${row}`));
    expect(sent).toEqual([1, 2, 3, 5, 6, 7]);
    expect(() => second.checkComplete()).not.toThrow();
    expect(second.covers(4)).toBe(false);
    expect(second.covers(7)).toBe(true);
    await second.record(rows(4, 8));
    await second.close();

    const third = await openJournal(path, { resume: true, columns });
    expect(third.earlierRows).toBe(8);
    await third.close();
  });

  it('refuses to start over an existing journal without --resume', async () => {
    const first = await openJournal(path, { resume: false, columns });
    await first.record(rows(1));
    await first.close();
    await expect(openJournal(path, { resume: false, columns })).rejects.toThrow(
      /upload-journal exists: this file was uploaded before\. Add --resume/,
    );
  });

  it('starts over a journal of a run that had nothing accepted', async () => {
    const first = await openJournal(path, { resume: false, columns });
    await first.close();
    const second = await openJournal(path, { resume: false, columns });
    expect(second.earlierRows).toBe(0);
    await second.record(rows(1));
    await second.close();
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('starts fresh on --resume when there is no journal yet', async () => {
    const journal = await openJournal(path, { resume: true, columns });
    expect(journal.earlierRows).toBe(0);
    expect(journal.sentBefore(1, 'o-1')).toBe(false);
    await journal.close();
  });

  it('ignores a line cut short by a kill, and appends cleanly after it', async () => {
    const first = await openJournal(path, { resume: false, columns });
    await first.record(rows(1, 2));
    await first.close();
    await appendFile(path, '{"rows":[[3,');

    const second = await openJournal(path, { resume: true, columns });
    expect(second.earlierRows).toBe(2);
    await second.record(rows(3));
    await second.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toHaveLength(3);
  });

  it('stops when the rows of a sent batch changed since (rows inserted above them)', async () => {
    const first = await openJournal(path, { resume: false, columns });
    await first.record(rows(1, 2));
    await first.close();
    const second = await openJournal(path, { resume: true, columns });
    expect(second.sentBefore(1, 'o-new')).toBe(true);
    expect(() => second.sentBefore(2, 'o-1')).toThrow(
      /does not match the file any more \(the rows of the batch from row 1 changed\)/,
    );
  });

  it('stops when the file lost rows that were sent', async () => {
    const first = await openJournal(path, { resume: false, columns });
    await first.record(rows(1, 2));
    await first.record(rows(3));
    await first.close();
    const second = await openJournal(path, { resume: true, columns });
    second.sentBefore(1, 'o-1');
    second.sentBefore(2, 'o-2');
    expect(() => second.checkComplete()).toThrow(/it has fewer rows than were sent/);
  });

  it('stops when the header changed, and on a file that is not a journal', async () => {
    const first = await openJournal(path, { resume: false, columns });
    await first.close();
    await expect(openJournal(path, { resume: true, columns: ['event'] })).rejects.toThrow(
      /the header row changed/,
    );
    await writeFile(path, 'hello\n');
    await expect(openJournal(path, { resume: true, columns })).rejects.toThrow(
      /is not an upload journal/,
    );
  });
});
