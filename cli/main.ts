/**
 * @module
 * The CLI's entry: parse the command line, run the command, turn any failure
 * into one line on stderr and an exit code. `runCli` takes its environment
 * and outputs as arguments, so tests drive it without a child process.
 */
import {
  type CliEnv,
  type CommandName,
  endpointFrom,
  parseCommandLine,
  pixelFrom,
  serverKeyFrom,
} from './args.ts';
import type { Command, CommandContext, Output } from './command-context.ts';
import { deadLettersCommand } from './commands/dead-letters.ts';
import { redriveCommand } from './commands/redrive.ts';
import { statusCommand } from './commands/status.ts';
import { uploadCommand } from './commands/upload.ts';
import { verifyCommand } from './commands/verify.ts';
import { webhookCommand } from './commands/webhook.ts';
import { createEdgeClient, type EdgeClient } from './edge-client.ts';
import { CliError, ExitCode } from './errors.ts';
import { commandHelp, GENERAL_HELP } from './usage.ts';

const COMMANDS: Record<CommandName, Command> = {
  status: statusCommand,
  'dead-letters': deadLettersCommand,
  redrive: redriveCommand,
  verify: verifyCommand,
  upload: uploadCommand,
  webhook: webhookCommand,
};

export interface CliIo {
  env: CliEnv;
  stdout: Output;
  stderr: Output;
  fetch?: typeof fetch;
}

/**
 * Runs one command line and resolves to its exit code.
 *
 * @example
 * const code = await runCli(['status', '--endpoint', url], { env: process.env, stdout: process.stdout, stderr: process.stderr });
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const line = parseCommandLine(argv);
    if (line.kind === 'help') {
      io.stdout.write(`${line.command ? commandHelp(line.command) : GENERAL_HELP}\n`);
      return ExitCode.ok;
    }
    const hasEndpoint =
      typeof line.flags.endpoint === 'string' || Boolean(io.env.XCAPI_ENDPOINT?.trim());
    let client: EdgeClient | undefined;
    const context: CommandContext = {
      flags: line.flags,
      positionals: line.positionals,
      json: line.json,
      stdout: io.stdout,
      stderr: io.stderr,
      hasEndpoint,
      edge() {
        const pixel = pixelFrom(line.flags);
        client ??= createEdgeClient({
          endpoint: endpointFrom(line.flags, io.env),
          serverKey: serverKeyFrom(io.env),
          ...(pixel === undefined ? {} : { pixel }),
          ...(io.fetch ? { fetch: io.fetch } : {}),
        });
        return client;
      },
    };
    return await COMMANDS[line.command](context);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`x-capi-edge: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
