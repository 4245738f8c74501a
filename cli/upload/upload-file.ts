/**
 * @module
 * The upload pipeline: read a record, map it, judge it, gather a batch, wait
 * for the pace, send, then journal and report what the edge accepted. One
 * batch is in flight while the next is read and judged; the reader is pulled
 * only as batches leave, so memory stays flat whatever the file's size.
 */
import { basename } from 'node:path';
import type { Output } from '../command-context.ts';
import type { EdgeClient } from '../edge-client.ts';
import { CliError, formatXError } from '../errors.ts';
import { mapColumns } from './columns.ts';
import { openJournal, type UploadJournal } from './journal.ts';
import { isMappingProblem, mapRow } from './map-row.ts';
import { type Clock, createPacer, systemClock } from './pacer.ts';
import { createProgress } from './progress.ts';
import { openCsv } from './read-rows.ts';
import { openReport, type ReportLine } from './report.ts';
import { type OutgoingRow, type SettledRow, sendBatch } from './send-batch.ts';
import { createRowValidator } from './validate-row.ts';

export interface UploadOptions {
  file: string;
  /** The edge; absent only for an offline dry run. */
  edge?: EdgeClient;
  dryRun: boolean;
  resume: boolean;
  /** Events per 15 minutes; 0 unpaced. */
  rate: number;
  batchSize: number;
  phoneCountry?: string;
  /** The edge's `MAX_CONVERSION_AGE_DAYS`. */
  maxConversionAgeDays?: number;
  skipUnknownColumns: boolean;
  defaultEvent?: string;
  /** Where the progress bar goes (drawn only on a terminal). */
  progressTo: Output;
  clock?: Clock;
  /** Checked between batches: true stops the run after the batch in flight. */
  stopRequested?: () => boolean;
}

export interface UploadSummary {
  file: string;
  report: string;
  journal: string | null;
  dryRun: boolean;
  /** Data rows read in this run, including skipped ones. */
  rows: number;
  sent: number;
  rejected: number;
  /** Valid rows of a dry run. */
  valid: number;
  /** Rows an earlier run sent (`--resume`). */
  skipped: number;
  interrupted: boolean;
  seconds: number;
}

export const journalPathFor = (file: string) => `${file}.upload-journal`;
export const reportPathFor = (file: string, dryRun: boolean) =>
  dryRun ? `${file}.dry-run.csv` : `${file}.report.csv`;

function lineFor(settled: SettledRow): ReportLine {
  return {
    row: settled.row,
    line: settled.line,
    conversion_id: settled.conversionId,
    status: settled.status,
    reason: settled.reason,
  };
}

/**
 * Uploads (or, with `dryRun`, only judges) a CSV file.
 *
 * @example
 * const summary = await uploadFile({ file: 'orders.csv', edge, dryRun: false, resume: false,
 *   rate: 50_000, batchSize: 500, skipUnknownColumns: false, progressTo: process.stderr });
 */
export async function uploadFile(options: UploadOptions): Promise<UploadSummary> {
  const { file, edge, dryRun, clock = systemClock } = options;
  // A batch larger than the whole rate would leave at once and then wait for ages.
  const batchSize =
    options.rate > 0 ? Math.min(options.batchSize, options.rate) : options.batchSize;
  const started = clock.now();
  const csv = await openCsv(file);
  const columns = mapColumns(csv.header, {
    skipUnknown: options.skipUnknownColumns,
    ...(options.defaultEvent === undefined ? {} : { defaultEvent: options.defaultEvent }),
  });
  const health = edge ? await edge.health() : undefined;
  if (health?.problems && health.problems.length > 0) {
    throw new CliError(`the edge is not configured: ${health.problems.join('; ')}`);
  }
  if (health?.delivery?.state === 'blocked') {
    options.progressTo.write(
      `note: delivery to X is blocked (${health.delivery.reason ?? 'see status'}); accepted rows are held until it recovers\n`,
    );
  }
  const validateRow = createRowValidator({
    ...(health?.events === undefined ? {} : { events: health.events }),
    ...(options.phoneCountry === undefined ? {} : { phoneCountry: options.phoneCountry }),
    ...(options.maxConversionAgeDays === undefined
      ? {}
      : { maxConversionAgeDays: options.maxConversionAgeDays }),
  });

  const journalPath = journalPathFor(file);
  const reportPath = reportPathFor(file, dryRun);
  const journal: UploadJournal | undefined = dryRun
    ? undefined
    : await openJournal(journalPath, { resume: options.resume, columns: csv.header });
  const report = await openReport(reportPath, {
    ...(journal && options.resume && journal.earlierRows > 0
      ? { keepEarlier: (row: number) => journal.covers(row) }
      : {}),
  });
  const pacer = createPacer({ eventsPerWindow: dryRun ? 0 : options.rate, clock });
  const progress = createProgress(options.progressTo, csv.size);
  const fileName = basename(file);
  const summary: UploadSummary = {
    file,
    report: reportPath,
    journal: journal ? journalPath : null,
    dryRun,
    rows: 0,
    sent: 0,
    rejected: 0,
    valid: 0,
    skipped: 0,
    interrupted: false,
    seconds: 0,
  };

  let batch: OutgoingRow[] = [];
  /** Rows settled without sending (refused here, or judged by a dry run), reported with the next batch. */
  let settledHere: ReportLine[] = [];
  let inFlight: Promise<void> = Promise.resolve();

  const showProgress = () =>
    progress.update({
      bytes: csv.bytesRead(),
      sent: summary.sent + summary.valid,
      rejected: summary.rejected,
      skipped: summary.skipped,
    });

  async function dispatch(): Promise<void> {
    const rows = batch;
    const refused = settledHere;
    batch = [];
    settledHere = [];
    await inFlight;
    if (dryRun || !edge || !journal) {
      await report.write(refused);
      return;
    }
    if (rows.length > 0) await pacer.wait(rows.length);
    inFlight = (async () => {
      const settled = rows.length > 0 ? await sendBatch(edge, rows, clock) : [];
      const sent = settled.filter((s) => s.status === 'sent');
      // Report first: a kill between the two leaves rows the journal does not
      // know, which a resume drops from the report and sends again (X dedups).
      const lines = [...refused, ...settled.map(lineFor)].sort((a, b) => a.row - b.row);
      await report.write(lines);
      await journal.record(sent);
      summary.sent += sent.length;
      summary.rejected += settled.length - sent.length;
      showProgress();
    })();
  }

  const refuse = (row: number, line: number, conversionId: string, reason: string) => {
    summary.rejected += 1;
    settledHere.push({ row, line, conversion_id: conversionId, status: 'rejected', reason });
  };

  try {
    for await (const record of csv.records()) {
      const { row, line } = record;
      summary.rows += 1;
      if (summary.rows % 1000 === 0) showProgress();
      const mapped = mapRow(columns, record.fields, {
        fileName,
        row,
        decimalComma: csv.delimiter === ';',
        ...(options.defaultEvent === undefined ? {} : { defaultEvent: options.defaultEvent }),
      });
      if (isMappingProblem(mapped)) {
        refuse(row, line, '', formatXError({ code: 'INVALID_PARAMETER', ...mapped }));
      } else if (journal?.sentBefore(row, mapped.conversionId)) {
        summary.skipped += 1;
        continue;
      } else {
        const verdict = await validateRow(mapped.event);
        if (!verdict.ok) refuse(row, line, mapped.conversionId, verdict.reason);
        else if (dryRun) {
          summary.valid += 1;
          settledHere.push({
            row,
            line,
            conversion_id: mapped.conversionId,
            status: 'valid',
            reason: '',
          });
        } else {
          batch.push({
            row,
            line,
            conversionId: mapped.conversionId,
            event: mapped.event,
            ...(mapped.pixel === undefined ? {} : { pixel: mapped.pixel }),
          });
        }
      }
      if (batch.length >= batchSize || settledHere.length >= batchSize) {
        await dispatch();
        showProgress();
        if (options.stopRequested?.()) {
          summary.interrupted = true;
          break;
        }
      }
    }
    if (!summary.interrupted) {
      await dispatch();
      await inFlight;
      journal?.checkComplete();
    } else {
      await inFlight;
    }
  } finally {
    // A failure in flight still leaves what was settled on disk.
    await inFlight.catch(() => {});
    progress.finish();
    await report.close();
    await journal?.close();
  }
  summary.seconds = (clock.now() - started) / 1000;
  return summary;
}
