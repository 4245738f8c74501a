/**
 * @module
 * What `npm start` works out before it starts `wrangler dev`: the port (from
 * `--port N`, `--port=N` or `PORT`), the arguments it hands on to wrangler, and
 * the demo's address, which includes `BASE_PATH` (from `.dev.vars`, else
 * wrangler.toml's `[vars]`), since every route of the edge lives under it.
 */
import { parseEnv } from 'node:util';
import { parse, type TomlTable } from 'smol-toml';
import { normalizeBasePath } from '../edge/settings.ts';

export const DEFAULT_PORT = 8787;

export interface StartSettings {
  port: number;
  /** Arguments for `wrangler dev` other than `--port`, as given. */
  rest: string[];
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new Error(`--port must be a port number from 1 to 65535, not "${text}"`);
  }
  return port;
}

/**
 * The port and the remaining arguments of `npm start -- ...`.
 *
 * @example
 * startSettings(['--port', '8801'], {}); // { port: 8801, rest: [] }
 * startSettings([], { PORT: '9000' }); // { port: 9000, rest: [] }
 */
export function startSettings(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): StartSettings {
  let port = env.PORT ? parsePort(env.PORT) : DEFAULT_PORT;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--port') {
      const value = argv[++i];
      if (value === undefined) throw new Error('--port needs a value, e.g. --port 8801');
      port = parsePort(value);
    } else if (arg.startsWith('--port=')) {
      port = parsePort(arg.slice('--port='.length));
    } else {
      rest.push(arg);
    }
  }
  return { port, rest };
}

/** Settings in a `.dev.vars` file (the dotenv format wrangler reads). */
export function parseDevVars(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>;
}

/** `BASE_PATH` from wrangler.toml's `[vars]`, or `''`. */
export function wranglerBasePath(toml: string): string {
  const vars = parse(toml).vars as TomlTable | undefined;
  return typeof vars?.BASE_PATH === 'string' ? vars.BASE_PATH : '';
}

/**
 * The demo's landing page (with an ad click) for this origin and base path.
 *
 * @example
 * demoUrl('http://127.0.0.1:8787', 'xcapi/'); // 'http://127.0.0.1:8787/xcapi/demo/?twclid=demo-click-123'
 */
export function demoUrl(origin: string, basePath: string): string {
  return `${origin}${normalizeBasePath(basePath)}/demo/?twclid=demo-click-123`;
}
