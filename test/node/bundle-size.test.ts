/**
 * The deploy size check (scripts/bundle-size.ts, run by CI on the output of
 * `wrangler deploy --dry-run --outdir`): measures the modules, not the source
 * maps, and refuses what Cloudflare would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bundleSize,
  bundleSizeProblem,
  FREE_PLAN_GZIP_LIMIT,
  RAW_LIMIT,
} from '../../scripts/bundle-size.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('worker bundle size', () => {
  it('measures the modules wrangler wrote, without source maps or its README', () => {
    dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    const code = Buffer.from(
      'export default { fetch() { return new Response("ok"); } };\n'.repeat(50),
    );
    writeFileSync(join(dir, 'index.js'), code);
    writeFileSync(join(dir, 'index.js.map'), 'x'.repeat(100_000));
    writeFileSync(join(dir, 'README.md'), 'wrangler output');
    expect(bundleSize(dir)).toEqual({
      raw: code.byteLength,
      gzip: gzipSync(code, { level: 9 }).byteLength,
    });
  });

  it('fails on an empty output directory instead of reporting 0 bytes', () => {
    dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    expect(() => bundleSize(dir as string)).toThrow('no Worker modules');
  });

  it("refuses a bundle over the Free plan's gzip limit or the raw limit", () => {
    expect(bundleSizeProblem({ raw: 400_000, gzip: 90_000 })).toBeUndefined();
    expect(bundleSizeProblem({ raw: RAW_LIMIT, gzip: FREE_PLAN_GZIP_LIMIT })).toBeUndefined();
    expect(bundleSizeProblem({ raw: 10_000_000, gzip: FREE_PLAN_GZIP_LIMIT + 1 })).toContain(
      'Free plan',
    );
    expect(bundleSizeProblem({ raw: RAW_LIMIT + 1, gzip: 1000 })).toContain('raw');
  });
});
