/**
 * @module
 * The upload report (`FILE.csv.report.csv`): one line per row with its
 * outcome, written with csv-stringify as batches settle. On `--resume` the
 * earlier report keeps only the rows the journal says were accepted (a run
 * killed between the two writes cannot leave a row reported twice), and the
 * new run appends to it.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';

export type RowStatus = 'sent' | 'rejected' | 'valid';

/** One line of the report. */
export interface ReportLine {
  row: number;
  line: number;
  conversion_id: string;
  status: RowStatus;
  reason: string;
}

export const REPORT_COLUMNS = ['row', 'line', 'conversion_id', 'status', 'reason'] as const;

export interface UploadReport {
  write(lines: readonly ReportLine[]): Promise<void>;
  close(): Promise<void>;
}

function csvOf(lines: readonly ReportLine[]): string {
  return stringify(lines.map((l) => [l.row, l.line, l.conversion_id, l.status, l.reason]));
}

/** Copies the earlier report's lines for `keep` rows into `target`, streaming. */
async function keepEarlierLines(
  path: string,
  target: FileHandle,
  keep: (row: number) => boolean,
): Promise<void> {
  const parser = parse({ from_line: 2, relax_column_count: true });
  // pipeline, not pipe: a missing or unreadable file must end the loop below with its error.
  pipeline(createReadStream(path), parser).catch(() => {});
  let buffered: ReportLine[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const [row, line, conversionId, status, reason] = record;
      if (status !== 'sent' || !keep(Number(row))) continue;
      buffered.push({
        row: Number(row),
        line: Number(line),
        conversion_id: conversionId ?? '',
        status,
        reason: reason ?? '',
      });
      if (buffered.length >= 1000) {
        await target.appendFile(csvOf(buffered));
        buffered = [];
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await target.appendFile(csvOf(buffered));
}

/**
 * Opens the report: fresh, or carrying over the earlier run's accepted rows.
 *
 * @example
 * const report = await openReport('orders.csv.report.csv', {});
 * await report.write([{ row: 1, line: 2, conversion_id: 'o-1', status: 'sent', reason: '' }]);
 */
export async function openReport(
  path: string,
  { keepEarlier }: { keepEarlier?: (row: number) => boolean },
): Promise<UploadReport> {
  const writing = keepEarlier ? `${path}.tmp` : path;
  const handle = await open(writing, 'w');
  await handle.appendFile(stringify([[...REPORT_COLUMNS]]));
  if (keepEarlier) {
    await keepEarlierLines(path, handle, keepEarlier);
    await rename(writing, path);
  }
  return {
    write: async (lines) => {
      if (lines.length > 0) await handle.appendFile(csvOf(lines));
    },
    close: () => handle.close(),
  };
}
