/**
 * @module
 * Runs the CLI as a user does, in its own process (`node cli/bin.mjs`), for
 * the end-to-end tests and the benchmark: its output, exit code or signal.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliEnv } from './args.ts';

const BIN = fileURLToPath(new URL('./bin.mjs', import.meta.url));

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  exited: Promise<CliExit>;
}

/**
 * Starts `x-capi-edge ARGS` with the current environment plus `env`.
 *
 * @example
 * const { exited } = startCliProcess(['status', '--endpoint', url], { XCAPI_SERVER_KEY: key });
 * const { code, stdout } = await exited;
 */
export function startCliProcess(args: string[], env: CliEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return { child, exited };
}

/** Runs the CLI to its end. */
export function runCliProcess(args: string[], env: CliEnv = {}): Promise<CliExit> {
  return startCliProcess(args, env).exited;
}
