/**
 * @module
 * Streams a CSV file's records with csv-parse: quoted fields (with
 * delimiters and line breaks inside), a byte-order mark, and the delimiter
 * detected from the header. Records are pulled one at a time, so the file is
 * read only as fast as rows are sent (memory stays flat for any file size).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { CliError } from '../errors.ts';
import { type Delimiter, detectDelimiter } from './detect-delimiter.ts';

/** Bytes read to find the header line. */
const HEAD_BYTES = 64 * 1024;

/** One data record. */
export interface CsvRecord {
  /** 1 for the first record after the header. */
  row: number;
  /** The file line where the record starts (the header is line 1). */
  line: number;
  fields: string[];
}

export interface CsvFile {
  header: string[];
  delimiter: Delimiter;
  /** The file's size, for progress. */
  size: number;
  /** Bytes the parser has taken from the file so far. */
  bytesRead(): number;
  records(): AsyncGenerator<CsvRecord>;
}

async function readHead(path: string): Promise<{ head: string; size: number }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return {
      head: buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, ''),
      size,
    };
  } finally {
    await handle.close();
  }
}

/** Line breaks inside quoted fields (CRLF counts once). */
function lineBreaksIn(fields: string[]): number {
  let count = 0;
  for (const field of fields) {
    if (field.length < 2) continue;
    const matches = field.match(/\r\n|\r|\n/g);
    if (matches) count += matches.length;
  }
  return count;
}

/** csv-parse's error as a line naming the file and the line. */
function malformed(path: string, error: unknown): CliError {
  if (error instanceof CsvError) {
    const { lines } = error as CsvError & { lines?: number };
    const where = lines !== undefined && !/line \d+/.test(error.message) ? ` (line ${lines})` : '';
    return new CliError(`${basename(path)} is not valid CSV: ${error.message}${where}`);
  }
  if (error instanceof CliError) return error;
  return new CliError(`cannot read ${path}: ${(error as Error).message}`);
}

/**
 * Opens a CSV file: reads its header, then streams its records.
 *
 * @example
 * const csv = await openCsv('conversions.csv');
 * for await (const { row, line, fields } of csv.records()) { ... }
 */
export async function openCsv(path: string): Promise<CsvFile> {
  const { head, size } = await readHead(path);
  if (head.trim() === '') throw new CliError(`${basename(path)} is empty: expected a header row`);
  const delimiter = detectDelimiter(head);
  let bytes = 0;
  let header: string[] | undefined;

  const source = createReadStream(path);
  source.on('data', (chunk) => {
    bytes += chunk.length;
  });
  const parser = parse({
    bom: true,
    delimiter,
    info: true,
    skip_empty_lines: true,
  });
  const piped = pipeline(source, parser);
  piped.catch(() => {
    // The same error reaches the reader through the parser.
  });
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{
    record: string[];
    info: { records: number; empty_lines: number };
  }>;

  try {
    const first = await iterator.next();
    if (first.done) throw new CliError(`${basename(path)} has no header row`);
    header = first.value.record;
  } catch (error) {
    source.destroy();
    throw malformed(path, error);
  }
  // Lines are counted here, not taken from csv-parse's `info.lines`, which
  // counts a CRLF inside a quoted field twice.
  let nextLine = 2;
  let emptyLines = 0;

  return {
    header,
    delimiter,
    size,
    bytesRead: () => bytes,
    async *records() {
      try {
        while (true) {
          const next = await iterator.next();
          if (next.done) return;
          const { record, info } = next.value;
          const line = nextLine + info.empty_lines - emptyLines;
          emptyLines = info.empty_lines;
          nextLine = line + 1 + lineBreaksIn(record);
          yield { row: info.records - 1, line, fields: record };
        }
      } catch (error) {
        throw malformed(path, error);
      } finally {
        source.destroy();
      }
    },
  };
}
