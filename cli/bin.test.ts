/**
 * `npx x-capi-edge` from the repository, as a user runs it: npm resolves the
 * package's own `bin`, and the shim runs the TypeScript CLI on Node 22.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CliEnv } from './args.ts';

const run = promisify(execFile);

async function npx(args: string[], env: CliEnv = {}) {
  try {
    const { stdout, stderr } = await run('npx', ['--offline', 'x-capi-edge', ...args], {
      cwd: new URL('..', import.meta.url),
      env: { ...process.env, XCAPI_SERVER_KEY: '', XCAPI_ENDPOINT: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npx x-capi-edge', () => {
  it('prints its help and exits 0', async () => {
    const { code, stdout } = await npx(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^x-capi-edge: operate an x-capi-edge deployment/);
    expect(stdout).toContain('Usage: npx x-capi-edge <command> --endpoint URL [flags]');
  }, 30_000);

  it('exits 2 with one clear line when the endpoint is missing', async () => {
    const { code, stdout, stderr } = await npx(['status'], { XCAPI_SERVER_KEY: 'k' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^x-capi-edge: no endpoint: pass --endpoint URL/);
  }, 30_000);
});
