/**
 * @module
 * The resume journal (`FILE.csv.upload-journal`): one JSON line per batch
 * the edge accepted, appended and synced to disk before the next batch
 * leaves, naming its rows (as ranges) and a digest of their conversion ids.
 * A run with `--resume` skips those rows, and checks the digests as it reads
 * them again, so a file edited in between (rows inserted, ids changed) stops
 * the run instead of skipping the wrong rows.
 */
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';
import { CliError } from '../errors.ts';

const VERSION = 1;

interface JournalHead {
  journal: number;
  columns: string[];
}

interface JournalBatch {
  rows: [number, number][];
  digest: string;
}

/** Rows as inclusive ranges: [1, 500], [502, 730]. */
export function rowRanges(rows: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const row of rows) {
    const last = ranges.at(-1);
    if (last && row === last[1] + 1) last[1] = row;
    else ranges.push([row, row]);
  }
  return ranges;
}

function digestOf(ids: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of ids) hash.update(`${id}\n`);
  return hash.digest('hex');
}

/** One earlier batch while the file is read again. */
interface BatchCheck {
  expected: string;
  remaining: number;
  hash: Hash;
  first: number;
}

export interface UploadJournal {
  /** Rows the edge accepted in earlier runs. */
  readonly earlierRows: number;
  /** Whether an earlier run sent this row (no check). */
  covers(row: number): boolean;
  /**
   * Whether an earlier run sent this row; if so, its conversion id joins the
   * check of that run's batch (throws once a batch's ids differ).
   */
  sentBefore(row: number, conversionId: string): boolean;
  /** At the end of the file: every row sent before must have been seen again. */
  checkComplete(): void;
  /** Records an accepted batch (rows in file order) durably. */
  record(rows: readonly { row: number; conversionId: string }[]): Promise<void>;
  close(): Promise<void>;
}

function changedFile(path: string, detail: string): CliError {
  return new CliError(
    `${path} does not match the file any more (${detail}): restore the file as it was, or delete the journal and its report to upload from scratch`,
  );
}

async function readJournal(
  path: string,
  columns: readonly string[],
): Promise<{ batches: JournalBatch[]; validBytes: number } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // A run killed mid-write leaves a partial last line: it never counted.
  const validBytes = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
  const lines = text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean);
  const [headLine, ...batchLines] = lines;
  let head: JournalHead;
  let batches: JournalBatch[];
  try {
    head = JSON.parse(headLine ?? '') as JournalHead;
    batches = batchLines.map((line) => JSON.parse(line) as JournalBatch);
  } catch {
    throw new CliError(`${path} is not an upload journal: delete it to start over`);
  }
  if (head.journal !== VERSION) throw new CliError(`${path} is from another version: delete it`);
  if (JSON.stringify(head.columns) !== JSON.stringify(columns)) {
    throw changedFile(path, 'the header row changed');
  }
  return { batches, validBytes };
}

/**
 * Opens the journal: a fresh one, or (with `resume`) the earlier run's.
 * Without `resume`, an existing journal is an error: the file was uploaded
 * (or half uploaded) before, and sending it again is what `--resume` avoids.
 *
 * @example
 * const journal = await openJournal('orders.csv.upload-journal', { resume: true, columns });
 */
export async function openJournal(
  path: string,
  { resume, columns }: { resume: boolean; columns: readonly string[] },
): Promise<UploadJournal> {
  const exists = new CliError(
    `${path} exists: this file was uploaded before. Add --resume to send only the rows not yet accepted, or delete the journal to send everything again`,
  );
  let earlier: Awaited<ReturnType<typeof readJournal>>;
  try {
    earlier = await readJournal(path, columns);
  } catch (error) {
    throw resume ? error : exists;
  }
  if (!resume && earlier !== undefined) {
    if (earlier.batches.length > 0) throw exists;
    // An earlier run that had nothing accepted (a refused key, say): nothing to protect.
    earlier = undefined;
  }

  // Sorted ranges of earlier rows, each pointing at its batch's check.
  const ranges: { first: number; last: number; check: BatchCheck }[] = [];
  let earlierRows = 0;
  for (const batch of earlier?.batches ?? []) {
    const count = batch.rows.reduce((sum, [first, last]) => sum + last - first + 1, 0);
    earlierRows += count;
    const check: BatchCheck = {
      expected: batch.digest,
      remaining: count,
      hash: createHash('sha256'),
      first: batch.rows[0]?.[0] ?? 0,
    };
    for (const [first, last] of batch.rows) ranges.push({ first, last, check });
  }
  ranges.sort((a, b) => a.first - b.first);
  let pendingChecks = earlier?.batches.length ?? 0;

  function rangeOf(row: number) {
    let low = 0;
    let high = ranges.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const range = ranges[middle] as (typeof ranges)[number];
      if (row < range.first) high = middle - 1;
      else if (row > range.last) low = middle + 1;
      else return range;
    }
    return undefined;
  }

  let handle: FileHandle;
  if (earlier) {
    await truncate(path, earlier.validBytes);
    handle = await open(path, 'a');
  } else {
    handle = await open(path, 'w');
    await handle.appendFile(`${JSON.stringify({ journal: VERSION, columns })}\n`);
    await handle.datasync();
  }

  return {
    earlierRows,
    covers: (row) => rangeOf(row) !== undefined,
    sentBefore(row, conversionId) {
      const range = rangeOf(row);
      if (!range) return false;
      const { check } = range;
      check.hash.update(`${conversionId}\n`);
      check.remaining -= 1;
      if (check.remaining === 0) {
        pendingChecks -= 1;
        if (check.hash.digest('hex') !== check.expected) {
          throw changedFile(path, `the rows of the batch from row ${check.first} changed`);
        }
      }
      return true;
    },
    checkComplete() {
      if (pendingChecks > 0) throw changedFile(path, 'it has fewer rows than were sent');
    },
    async record(rows) {
      if (rows.length === 0) return;
      const batch: JournalBatch = {
        rows: rowRanges(rows.map((r) => r.row)),
        digest: digestOf(rows.map((r) => r.conversionId)),
      };
      await handle.appendFile(`${JSON.stringify(batch)}\n`);
      await handle.datasync();
    },
    close: () => handle.close(),
  };
}
