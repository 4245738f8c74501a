/**
 * The CLI runs under plain Node from `npx x-capi-edge`: what it shares with
 * the edge (X's error shape, the event rules) must not drag the Worker's HTTP
 * framework in with it. esbuild follows every import from the CLI's entry and
 * lists the files it reached.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

async function cliInputs(): Promise<string[]> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['cli/bin.mjs'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: 'cli-bundle.mjs',
  });
  return Object.keys(result.metafile.inputs);
}

describe("the CLI's import graph", () => {
  it('reaches the shared edge modules it uses, and no file of hono', async () => {
    const inputs = await cliInputs();
    // The graph is really followed: the CLI does read X's errors through edge/errors.ts.
    expect(inputs).toContain('cli/main.ts');
    expect(inputs).toContain('edge/errors.ts');
    expect(inputs.filter((path) => path.startsWith('node_modules/hono/'))).toEqual([]);
  });
});
