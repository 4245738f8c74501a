/**
 * `npm start`: the edge on local workerd (`wrangler dev`) with the demo pages on.
 *
 * Works with no configuration at all: any setting missing from `.dev.vars` gets a
 * demo default (X's example pixel and event ids), and with no X credentials the
 * edge runs in dry-run mode, logging what it would send instead of sending it.
 *
 *     npm start                      # http://127.0.0.1:8787
 *     npm start -- --port 8801       # or PORT=8801 npm start
 *
 * Other arguments go to `wrangler dev`. wrangler.toml's `[build]` command builds
 * the browser script first. Ctrl-C, SIGTERM or SIGHUP stop wrangler and its
 * workerd with this process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoUrl, parseDevVars, startSettings, wranglerBasePath } from './start-settings.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

let settings: ReturnType<typeof startSettings>;
try {
  settings = startSettings(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`npm start: ${(error as Error).message}`);
  process.exit(2);
}
const { port, rest } = settings;
const origin = `http://127.0.0.1:${port}`;

const devVars = existsSync('.dev.vars') ? parseDevVars(readFileSync('.dev.vars', 'utf8')) : {};
const demoDefaults: Record<string, string> = {
  DEMO: 'true',
  X_PIXEL_ID: 'o9d7n',
  X_EVENTS: JSON.stringify({ purchase: 'o9d2g', lead: 'o9d2h', signup: 'o9d2i' }),
  ALLOWED_ORIGINS: `${origin},http://localhost:${port}`,
};
const lines = Object.entries(demoDefaults)
  .filter(([key]) => !(key in devVars))
  // Single quotes keep JSON's double quotes intact in the .env format.
  .map(([key, value]) => `${key}='${value}'`);
mkdirSync('.wrangler', { recursive: true });
writeFileSync('.wrangler/demo.env', `${lines.join('\n')}\n`);

const args = ['dev', '--ip', '127.0.0.1', '--port', String(port)];
args.push('--env-file', '.wrangler/demo.env');
if (existsSync('.dev.vars')) args.push('--env-file', '.dev.vars');
args.push(...rest);

const basePath =
  devVars.BASE_PATH ?? wranglerBasePath(readFileSync(join(root, 'wrangler.toml'), 'utf8'));
console.log(`x-capi-edge: demo at ${demoUrl(origin, basePath)}`);

// wrangler's own entry point under this Node (the project's pinned one), no shell between.
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const child = spawn(process.execPath, [wrangler, ...args], {
  stdio: 'inherit',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => child.kill(signal));
}
// `npm start` runs this under `sh -c`, and a SIGTERM sent to npm reaches that shell,
// which dies without passing it on: when this process loses its parent, stop too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) child.kill('SIGTERM');
}, 250).unref();
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + constants.signals[signal] : 0));
});
