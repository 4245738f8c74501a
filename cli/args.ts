/**
 * @module
 * The command line: which command, its flags (node:util `parseArgs`, strict,
 * so a misspelt flag is an error) and where the endpoint and key come from.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './errors.ts';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

const COMMON_OPTIONS = {
  endpoint: { type: 'string' },
  pixel: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies OptionSpecs;

const COMMAND_OPTIONS = {
  status: {},
  'dead-letters': {
    event: { type: 'string' },
    reason: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  redrive: {
    ids: { type: 'string' },
    event: { type: 'string' },
    reason: { type: 'string' },
    all: { type: 'boolean', default: false },
  },
  verify: {},
  upload: {
    rate: { type: 'string' },
    resume: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    'batch-size': { type: 'string' },
    'phone-country': { type: 'string' },
    'max-age-days': { type: 'string' },
    'skip-unknown-columns': { type: 'boolean', default: false },
    event: { type: 'string' },
  },
  webhook: {
    source: { type: 'string' },
    topic: { type: 'string' },
    event: { type: 'string' },
    send: { type: 'boolean', default: false },
  },
} satisfies Record<string, OptionSpecs>;

export type CommandName = keyof typeof COMMAND_OPTIONS;

/** Environment variables (`process.env`, or a test's own). */
export type CliEnv = Readonly<Record<string, string | undefined>>;

/** Flag values as parseArgs gives them: strings, booleans, absent. */
export type Flags = Record<string, string | boolean | undefined>;

export type CommandLine =
  | { kind: 'help'; command?: CommandName }
  | { kind: 'run'; command: CommandName; flags: Flags; positionals: string[]; json: boolean };

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_OPTIONS, name);
}

/**
 * Parses `process.argv.slice(2)`.
 *
 * @example
 * parseCommandLine(['status', '--endpoint', 'https://shop.example/xcapi']);
 * // { kind: 'run', command: 'status', flags: { endpoint: '...', json: false, help: false }, ... }
 */
export function parseCommandLine(argv: string[]): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    return { kind: 'help' };
  }
  if (!isCommand(first)) {
    throw new CliError(
      `unknown command "${first}": expected one of ${Object.keys(COMMAND_OPTIONS).join(', ')} (see --help)`,
    );
  }
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...COMMON_OPTIONS, ...COMMAND_OPTIONS[first] },
      allowPositionals: first === 'upload' || first === 'webhook',
      strict: true,
    }) as { values: Flags; positionals: string[] };
  } catch (error) {
    throw new CliError(`${first}: ${(error as Error).message} (see ${first} --help)`);
  }
  if (parsed.values.help) return { kind: 'help', command: first };
  return {
    kind: 'run',
    command: first,
    flags: parsed.values,
    positionals: parsed.positionals,
    json: parsed.values.json === true,
  };
}

/** The edge's base URL from `--endpoint` or `XCAPI_ENDPOINT`, checked. */
export function endpointFrom(flags: Flags, env: CliEnv): string {
  const raw = (typeof flags.endpoint === 'string' ? flags.endpoint : env.XCAPI_ENDPOINT)?.trim();
  if (!raw) {
    throw new CliError(
      'no endpoint: pass --endpoint URL (the edge, with BASE_PATH, e.g. https://shop.example/xcapi) or set XCAPI_ENDPOINT',
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--endpoint "${raw}" is not a URL such as https://shop.example/xcapi`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(`--endpoint must be an http(s) URL, not ${url.protocol}`);
  }
  if (url.search || url.hash) {
    throw new CliError('--endpoint must not have a query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

/** `--pixel ID`: which of the edge's pixels to address (needed when it serves several). */
export function pixelFrom(flags: Flags): string | undefined {
  const raw = flags.pixel;
  if (raw === undefined) return undefined;
  const pixel = typeof raw === 'string' ? raw.trim() : '';
  if (!/^[a-z0-9]{3,16}$/i.test(pixel)) {
    throw new CliError('--pixel must be a pixel id from X Events Manager, e.g. o9d7n');
  }
  return pixel;
}

/** The server key from `XCAPI_SERVER_KEY`. */
export function serverKeyFrom(env: CliEnv): string {
  const key = env.XCAPI_SERVER_KEY?.trim();
  if (!key) {
    throw new CliError(
      "no server key: set XCAPI_SERVER_KEY to the edge's SERVER_KEY (it is never taken from a flag, so it stays out of shell history)",
    );
  }
  return key;
}

/** A whole-number flag within a range, or its default. */
export function integerFlag(
  flags: Flags,
  name: string,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliError(`--${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A string flag, or undefined when absent. */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const raw = flags[name];
  return typeof raw === 'string' ? raw : undefined;
}
