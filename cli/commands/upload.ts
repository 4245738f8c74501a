/**
 * @module
 * `x-capi-edge upload FILE.csv`: flags to upload options, the run, and its
 * summary. Exit code 0 only when every row was accepted; Ctrl-C stops after
 * the batch in flight, with the journal up to date for `--resume`.
 */
import { SETTINGS } from '../../edge/settings.ts';
import { MAX_CONVERSIONS_PER_REQUEST } from '../../edge/x-api/limits.ts';
import { integerFlag, stringFlag } from '../args.ts';
import { type Command, printJson } from '../command-context.ts';
import { CliError, ExitCode } from '../errors.ts';
import { DEFAULT_RATE } from '../upload/pacer.ts';
import { type UploadSummary, uploadFile } from '../upload/upload-file.ts';

function renderSummary(summary: UploadSummary): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = summary.dryRun
    ? [
        `dry run of ${summary.file}: ${n(summary.rows)} rows, ${n(summary.valid)} valid, ${n(summary.rejected)} rejected; nothing was sent`,
      ]
    : [
        `${summary.file}: ${n(summary.sent)} rows sent, ${n(summary.rejected)} rejected${summary.skipped > 0 ? `, ${n(summary.skipped)} already sent earlier` : ''} in ${summary.seconds.toFixed(1)} s`,
      ];
  lines.push(`report: ${summary.report}`);
  if (summary.interrupted) lines.push('interrupted: run the same command with --resume to go on');
  return `${lines.join('\n')}\n`;
}

export const uploadCommand: Command = async function upload(context) {
  const { flags, positionals } = context;
  const [file, ...extra] = positionals;
  if (file === undefined) throw new CliError('upload: name the CSV file: upload FILE.csv');
  if (extra.length > 0)
    throw new CliError(`upload: one file at a time (got ${positionals.length})`);
  const dryRun = flags['dry-run'] === true;
  const resume = flags.resume === true;
  if (dryRun && resume)
    throw new CliError('upload: --dry-run sends nothing, so it has nothing to --resume');

  let stop = false;
  const onInterrupt = () => {
    if (stop) process.exit(ExitCode.interrupted);
    stop = true;
    context.stderr.write('\nstopping after the batch in flight (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onInterrupt);
  try {
    const phoneCountry = stringFlag(flags, 'phone-country')?.toUpperCase();
    const defaultEvent = stringFlag(flags, 'event');
    const summary = await uploadFile({
      file,
      ...(dryRun && !context.hasEndpoint ? {} : { edge: context.edge() }),
      dryRun,
      resume,
      rate: integerFlag(flags, 'rate', { min: 0, max: 100_000_000, fallback: DEFAULT_RATE }),
      batchSize: integerFlag(flags, 'batch-size', {
        min: 1,
        max: MAX_CONVERSIONS_PER_REQUEST,
        fallback: MAX_CONVERSIONS_PER_REQUEST,
      }),
      maxConversionAgeDays: integerFlag(flags, 'max-age-days', {
        min: 1,
        max: 3650,
        fallback: SETTINGS.MAX_CONVERSION_AGE_DAYS.default,
      }),
      ...(phoneCountry === undefined ? {} : { phoneCountry }),
      ...(defaultEvent === undefined ? {} : { defaultEvent }),
      skipUnknownColumns: flags['skip-unknown-columns'] === true,
      progressTo: context.stderr,
      stopRequested: () => stop,
    });
    if (context.json) printJson(context.stdout, summary);
    else context.stdout.write(renderSummary(summary));
    if (summary.interrupted) return ExitCode.interrupted;
    return summary.rejected === 0 ? ExitCode.ok : ExitCode.refused;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
};
