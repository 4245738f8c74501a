/**
 * The published declaration files type-check a consumer: right calls compile,
 * wrong ones do not. Needs `npm run build` first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dist = join(import.meta.dirname, '../../dist');
const esm = JSON.stringify(join(dist, 'client.mjs'));
const iife = JSON.stringify(join(dist, 'xcapi.js'));

/** Consumer modules, by name. */
const CONSUMERS = {
  esmOk: `import { init, track, consent, clickId, type TrackData } from ${esm};
init({ endpoint: 'https://shop.example', consent: 'pending', cookieDays: 30 });
const data: TrackData = { email: 'a@b.co', value: 20, currency: 'USD', contents: [{ content_id: 'sku-1', num_items: 1 }] };
track('purchase', data);
consent(true);
export const id: string | undefined = clickId();`,
  esmBad: `import { track, consent } from ${esm};
track('purchase', { value: 20, emial: 'typo' });
consent('yes');`,
  globalOk: `import type {} from ${iife};
window.xcapi?.('track', 'lead', { email: 'a@b.co' });
window.xcapi?.('consent', false);`,
  globalBad: `import type {} from ${iife};
window.xcapi?.('consent', 'maybe');`,
};

const dir = mkdtempSync(join(tmpdir(), 'xcapi-types-'));
const errors = new Map<string, string[]>();

beforeAll(() => {
  const files = Object.entries(CONSUMERS).map(([name, source]) => {
    const file = join(dir, `${name}.mts`);
    writeFileSync(file, source);
    return [name, file] as const;
  });
  // One program for all consumers: creating one costs seconds.
  const program = ts.createProgram(
    files.map(([, file]) => file),
    {
      noEmit: true,
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
    },
  );
  for (const [name, file] of files) {
    const source = program.getSourceFile(file);
    errors.set(
      name,
      [...program.getSemanticDiagnostics(source), ...program.getSyntacticDiagnostics(source)].map(
        (d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      ),
    );
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('published types', () => {
  it('dist/client.d.mts types the ESM exports', () => {
    expect(errors.get('esmOk')).toEqual([]);
    expect(errors.get('esmBad')).toHaveLength(2);
  });

  it('dist/xcapi.d.ts types the window.xcapi global', () => {
    expect(errors.get('globalOk')).toEqual([]);
    expect(errors.get('globalBad')).toHaveLength(1);
  });
});
