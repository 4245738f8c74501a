/**
 * The build's size guard: sizes are measured for real, and a build over its gzip
 * budget fails and writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  budgetProblem,
  CONSENT_GZIP_BUDGET,
  DATA_LAYER_GZIP_BUDGET,
  gzipBytes,
  IIFE_GZIP_BUDGET,
  measure,
} from '../../scripts/build-client.ts';

const root = join(import.meta.dirname, '../..');

describe('client build size budget', () => {
  it('is 2,048 bytes gzip for the script (and the ESM build), 1,024 for each adapter', () => {
    expect(IIFE_GZIP_BUDGET).toBe(2048);
    expect(DATA_LAYER_GZIP_BUDGET).toBe(1024);
    expect(CONSENT_GZIP_BUDGET).toBe(1024);
  });

  it('the built outputs are within their budgets, by zlib and by the gzip command', () => {
    const gzip = (file: string) => gzipBytes(measure(file, readFileSync(join(root, file))));
    expect(gzip('dist/xcapi.js')).toBeLessThanOrEqual(IIFE_GZIP_BUDGET);
    expect(gzip('dist/client.mjs')).toBeLessThanOrEqual(IIFE_GZIP_BUDGET);
    expect(gzip('dist/xcapi-datalayer.js')).toBeLessThanOrEqual(DATA_LAYER_GZIP_BUDGET);
    expect(gzip('dist/xcapi-consent.js')).toBeLessThanOrEqual(CONSENT_GZIP_BUDGET);
  });

  it('measures raw, gzip and brotli bytes of an output', () => {
    const bytes = new TextEncoder().encode('xcapi '.repeat(200));
    const size = measure('dist/x.js', bytes);
    expect(size.file).toBe('dist/x.js');
    expect(size.raw).toBe(1200);
    expect(size.gzip).toBe(gzipSync(bytes, { level: 9 }).byteLength);
    expect(size.brotli).toBeGreaterThan(0);
    expect(size.brotli).toBeLessThan(size.raw);
    // GNU gzip, as `gzip -9c dist/x.js | wc -c` would print (the name "x.js" is in its header).
    const command = spawnSync('gzip', ['-9c'], { input: bytes });
    expect(size.gzipCommand).toBe(command.stdout.byteLength + 'x.js\0'.length);
  });

  it('names an output over budget, and accepts one at the budget exactly', () => {
    const size = { file: 'dist/xcapi.js', raw: 4000, gzip: 2049, brotli: 1800 };
    expect(budgetProblem(size, 2048)).toBe(
      'dist/xcapi.js is 2049 bytes gzip, over its budget of 2048',
    );
    expect(budgetProblem({ ...size, gzip: 2048 }, 2048)).toBeUndefined();
  });

  it('counts the larger of the two gzip measures', () => {
    const size = { file: 'dist/xcapi.js', raw: 4000, gzip: 2040, gzipCommand: 2057, brotli: 1800 };
    expect(gzipBytes(size)).toBe(2057);
    expect(budgetProblem(size, 2048)).toBe(
      'dist/xcapi.js is 2057 bytes gzip, over its budget of 2048',
    );
    expect(gzipBytes({ ...size, gzipCommand: undefined })).toBe(2040);
  });

  it('fails the real build (exit 1, nothing written) when the budget is tiny', () => {
    const outputs = [
      'dist/xcapi.js',
      'dist/client.mjs',
      'dist/xcapi-datalayer.js',
      'dist/xcapi-consent.js',
      'edge/generated/client-script.ts',
    ];
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
