/**
 * One list of settings (edge/settings.ts), and everything that names settings
 * agrees with it: README's configuration table, wrangler.toml `[vars]`,
 * .dev.vars.example and the parser in edge/config.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../edge/config.ts';
import { SETTINGS, settingsTable } from '../../edge/settings.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
const names = (kind: 'var' | 'secret') =>
  SETTINGS.filter((s) => s.kind === kind)
    .map((s) => s.name)
    .sort();

/** wrangler.toml's `[vars]` table: every value a string, as wrangler passes them. */
function wranglerVars(): Map<string, string> {
  const vars = parse(read('wrangler.toml')).vars;
  expect(vars, 'wrangler.toml has a [vars] table').toBeTypeOf('object');
  const entries = Object.entries(vars as Record<string, unknown>);
  for (const [name, value] of entries) expect(value, name).toBeTypeOf('string');
  return new Map(entries as [string, string][]);
}

describe('the settings list', () => {
  it('names each setting once', () => {
    const all = SETTINGS.map((s) => s.name);
    expect(new Set(all).size).toBe(all.length);
  });

  it('is the README configuration table, row for row', () => {
    const readme = read('README.md');
    const start = readme.indexOf('| name | kind | default | meaning |');
    expect(start).toBeGreaterThan(-1);
    const end = readme.indexOf('\n\n', start);
    expect(readme.slice(start, end)).toBe(settingsTable());
  });

  it('is wrangler.toml [vars]: every variable with its default, no other', () => {
    const vars = wranglerVars();
    expect([...vars.keys()].sort()).toEqual(names('var'));
    for (const setting of SETTINGS.filter((s) => s.kind === 'var')) {
      expect(vars.get(setting.name), setting.name).toBe(setting.default ?? '');
    }
  });

  it('is .dev.vars.example: every secret, no other', () => {
    const keys = read('.dev.vars.example')
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(keys.sort()).toEqual(names('secret'));
  });

  it('is what edge/config.ts reads from the environment', () => {
    const read_ = new Set(
      [...read('edge/config.ts').matchAll(/\benv\.([A-Z0-9_]+)/g)].map((m) => m[1]),
    );
    expect([...read_].sort()).toEqual(SETTINGS.map((s) => s.name).sort());
  });

  it('gives defaults the parser accepts', () => {
    const env = Object.fromEntries(SETTINGS.map((s) => [s.name, s.default ?? '']));
    const result = parseConfig({ ...env, X_PIXEL_ID: 'o9d7n', X_EVENTS: '{"purchase":"o9d2g"}' });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('gives the defaults the parser falls back to when a setting is unset', () => {
    const required = { X_PIXEL_ID: 'o9d7n', X_EVENTS: '{"purchase":"o9d2g"}' };
    const defaults = Object.fromEntries(
      SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.name, s.default]),
    );
    expect(parseConfig({ ...defaults, ...required })).toEqual(parseConfig(required));
  });
});
