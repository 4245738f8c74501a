/**
 * @module
 * What every command receives: its flags, where to print, and (for those
 * that talk to the edge) the client.
 */
import type { Flags } from './args.ts';
import type { EdgeClient } from './edge-client.ts';
import type { ExitCodeValue } from './errors.ts';

/** Somewhere to print: process.stdout or a test's collector. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CommandContext {
  flags: Flags;
  positionals: string[];
  json: boolean;
  stdout: Output;
  stderr: Output;
  /** The client, created on first use so `upload --dry-run` needs no endpoint. */
  edge(): EdgeClient;
  /** Whether an endpoint was given (flag or environment). */
  hasEndpoint: boolean;
}

export type Command = (context: CommandContext) => Promise<ExitCodeValue>;

/** Prints a value as indented JSON, for scripts. */
export function printJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}
