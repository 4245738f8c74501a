/**
 * The build's size guard: sizes are measured for real, and a build over its gzip
 * budget fails and writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { budgetProblem, IIFE_GZIP_BUDGET, measure } from '../../scripts/build-client.ts';

const root = join(import.meta.dirname, '../..');

describe('client build size budget', () => {
  it('is the issue’s 1,536 bytes gzip', () => {
    expect(IIFE_GZIP_BUDGET).toBe(1536);
  });

  it('measures raw, gzip and brotli bytes of an output', () => {
    const bytes = new TextEncoder().encode('xcapi '.repeat(200));
    const size = measure('dist/x.js', bytes);
    expect(size.file).toBe('dist/x.js');
    expect(size.raw).toBe(1200);
    expect(size.gzip).toBe(gzipSync(bytes, { level: 9 }).byteLength);
    expect(size.brotli).toBeGreaterThan(0);
    expect(size.brotli).toBeLessThan(size.raw);
  });

  it('names an output over budget, and accepts one at the budget exactly', () => {
    const size = { file: 'dist/xcapi.js', raw: 3000, gzip: 1537, brotli: 1300 };
    expect(budgetProblem(size, 1536)).toBe(
      'dist/xcapi.js is 1537 bytes gzip, over its budget of 1536',
    );
    expect(budgetProblem({ ...size, gzip: 1536 }, 1536)).toBeUndefined();
  });

  it('fails the real build (exit 1, nothing written) when the budget is tiny', () => {
    const outputs = ['dist/xcapi.js', 'dist/client.mjs', 'edge/generated/client-script.ts'];
    const mtimes = () =>
      outputs.map((f) => statSync(join(root, f), { throwIfNoEntry: false })?.mtimeMs);
    const before = mtimes();
    const run = spawnSync(process.execPath, ['scripts/build-client.ts', '--gzip-budget=100'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /build failed: dist\/xcapi\.js is \d+ bytes gzip, over its budget of 100/,
    );
    expect(run.stdout).toBe('');
    expect(mtimes()).toEqual(before);
  });
});
