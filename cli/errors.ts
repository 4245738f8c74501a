/**
 * @module
 * How the CLI ends: its exit codes, the one error type commands throw, and
 * X's error shape as a line a person can read.
 */
import type { XErrorItem } from '../edge/errors.ts';

export type { XErrorItem };

/** Exit codes, documented in the README and `--help`. */
export const ExitCode = {
  /** Everything asked for was done: every row or event accepted. */
  ok: 0,
  /** The run completed, but some rows or events were refused. */
  refused: 1,
  /** Wrong usage, missing endpoint or key, unreadable file, or the edge could not be reached. */
  usage: 2,
  /** Stopped by Ctrl-C (128 + SIGINT); `upload --resume` goes on. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports as one line and an exit code, without a stack trace. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: ExitCodeValue;

  constructor(message: string, exitCode: ExitCodeValue = ExitCode.usage) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * X's error as `code: message (parameter)`.
 *
 * @example
 * formatXError({ code: 'INVALID_PARAMETER', message: 'bad', parameter: 'email' });
 * // 'INVALID_PARAMETER: bad (email)'
 */
export function formatXError(error: XErrorItem): string {
  return error.parameter
    ? `${error.code}: ${error.message} (${error.parameter})`
    : `${error.code}: ${error.message}`;
}
