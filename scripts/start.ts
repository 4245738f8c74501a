/**
 * `npm start`: the edge on local workerd (`wrangler dev`) with the demo pages on.
 *
 * Works with no configuration at all: any setting missing from `.dev.vars` gets a
 * demo default (X's example pixel and event ids), and with no X credentials the
 * edge runs in dry-run mode, logging what it would send instead of sending it.
 * Set PORT to use another port than 8787.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const port = process.env.PORT ?? '8787';
const origin = `http://127.0.0.1:${port}`;

const demoDefaults: Record<string, string> = {
  DEMO: 'true',
  X_PIXEL_ID: 'o9d7n',
  X_EVENTS: JSON.stringify({ purchase: 'o9d2g', lead: 'o9d2h', signup: 'o9d2i' }),
  ALLOWED_ORIGINS: `${origin},http://localhost:${port}`,
};

/** Keys set in `.dev.vars` (KEY=value lines), which win over the demo defaults. */
function devVarsKeys(): Set<string> {
  if (!existsSync('.dev.vars')) return new Set();
  const keys = readFileSync('.dev.vars', 'utf8')
    .split('\n')
    .map((line) => /^\s*([A-Z0-9_]+)\s*=\s*\S/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
  return new Set(keys);
}

const own = devVarsKeys();
const lines = Object.entries(demoDefaults)
  .filter(([key]) => !own.has(key))
  // Single quotes keep JSON's double quotes intact in the .env format.
  .map(([key, value]) => `${key}='${value}'`);
mkdirSync('.wrangler', { recursive: true });
writeFileSync('.wrangler/demo.env', `${lines.join('\n')}\n`);

const args = ['dev', '--ip', '127.0.0.1', '--port', port, '--env-file', '.wrangler/demo.env'];
if (existsSync('.dev.vars')) args.push('--env-file', '.dev.vars');

console.log(`x-capi-edge: demo at ${origin}/demo/?twclid=demo-click-123`);
const child = spawn('wrangler', args, {
  stdio: 'inherit',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
});
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}
