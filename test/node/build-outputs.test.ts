/**
 * A `wrangler deploy --outdir` folder (bundled JavaScript, a source map and a
 * README) left anywhere in the repository does not fail `npm test`'s Biome check.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('build outputs in the repository', () => {
  it('are not linted or formatted by Biome', () => {
    const outdir = mkdtempSync(join(root, 'deploy-out-'));
    try {
      // What a bundler writes: unformatted, and against the lint rules.
      writeFileSync(
        join(outdir, 'index.js'),
        'var a=1;;debugger;export default {fetch(){return new Response(a)}}\n',
      );
      writeFileSync(join(outdir, 'index.js.map'), '{"version":3,"mappings":""}');
      writeFileSync(join(outdir, 'README.md'), '# wrangler output\n');
      const biome = spawnSync('npx', ['biome', 'check', '.'], { cwd: root, encoding: 'utf8' });
      expect(biome.status, biome.stdout + biome.stderr).toBe(0);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    // Biome reads the whole repository: seconds on a busy machine.
  }, 60_000);
});
