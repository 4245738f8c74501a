/**
 * `npm start`: its options (port, demo address under BASE_PATH), and, for real, that
 * it honours `--port` and that a SIGTERM to the npm process stops wrangler and
 * workerd with it (no process left, the port free).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PORT,
  demoUrl,
  parseDevVars,
  startSettings,
  wranglerBasePath,
} from '../../scripts/start-settings.ts';

const root = join(import.meta.dirname, '../..');

describe('npm start settings', () => {
  it('takes the port from --port, --port=, or PORT, in that order of precedence', () => {
    expect(startSettings([], {})).toEqual({ port: DEFAULT_PORT, rest: [] });
    expect(startSettings([], { PORT: '9000' }).port).toBe(9000);
    expect(startSettings(['--port', '8801'], { PORT: '9000' }).port).toBe(8801);
    expect(startSettings(['--port=8802'], {}).port).toBe(8802);
    expect(startSettings(['--log-level', 'debug', '--port', '8801'], {})).toEqual({
      port: 8801,
      rest: ['--log-level', 'debug'],
    });
  });

  it('refuses a port that is not one', () => {
    expect(() => startSettings(['--port'], {})).toThrow('--port needs a value');
    expect(() => startSettings(['--port', 'abc'], {})).toThrow('from 1 to 65535');
    expect(() => startSettings([], { PORT: '70000' })).toThrow('from 1 to 65535');
  });

  it('prints the demo address under BASE_PATH, from .dev.vars or wrangler.toml', () => {
    expect(demoUrl('http://127.0.0.1:8787', '')).toBe(
      'http://127.0.0.1:8787/demo/?twclid=demo-click-123',
    );
    const devVars = parseDevVars('# local\nBASE_PATH="/xcapi"\nSERVER_KEY=abc\n');
    expect(demoUrl('http://127.0.0.1:8801', devVars.BASE_PATH ?? '')).toBe(
      'http://127.0.0.1:8801/xcapi/demo/?twclid=demo-click-123',
    );
    expect(demoUrl('http://127.0.0.1:8787', 'shop/xcapi/')).toBe(
      'http://127.0.0.1:8787/shop/xcapi/demo/?twclid=demo-click-123',
    );
    expect(wranglerBasePath('[vars]\nX_PIXEL_ID = ""\nBASE_PATH = "/t"\n')).toBe('/t');
    // TOML, not a line pattern: literal strings and comments count, other tables do not.
    expect(wranglerBasePath("[vars]\nBASE_PATH = '/lit' # a comment\n")).toBe('/lit');
    expect(wranglerBasePath('[env.staging.vars]\nBASE_PATH = "/no"\n')).toBe('');
    expect(wranglerBasePath(readFileSync(join(root, 'wrangler.toml'), 'utf8'))).toBe('');
  });
});

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Every live descendant of `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command (in parentheses, which may hold spaces): state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 250 ms until it holds or `ms` have passed. */
async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

describe('npm start, for real', () => {
  it('serves on --port and stops wrangler and workerd when npm gets SIGTERM', async () => {
    const port = await freePort();
    const npm: ChildProcess = spawn('npm', ['start', '--', '--port', String(port)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    npm.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    let tree: number[] = [];
    try {
      const health = `http://127.0.0.1:${port}/health`;
      expect(await until(() => answers(health), 120_000), output).toBe(true);
      expect(output).toContain(
        `x-capi-edge: demo at http://127.0.0.1:${port}/demo/?twclid=demo-click-123`,
      );
      tree = descendants(npm.pid as number);
      expect(tree.length).toBeGreaterThan(1);

      const exited = new Promise((resolve) => npm.once('exit', resolve));
      npm.kill('SIGTERM');
      await exited;
      expect(await until(() => tree.every((pid) => !alive(pid)), 20_000)).toBe(true);
      expect(await answers(health)).toBe(false);
    } finally {
      // Whatever the outcome, leave nothing running that this test started.
      for (const pid of [npm.pid as number, ...tree]) {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
  }, 180_000);
});
