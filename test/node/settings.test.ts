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
import { SETTING_LIST, settingsTable, wranglerValue } from '../../edge/settings.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
const names = (kind: 'var' | 'secret') =>
  SETTING_LIST.filter((s) => s.kind === kind)
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
    const all = SETTING_LIST.map((s) => s.name);
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
    for (const setting of SETTING_LIST) {
      if (setting.kind === 'var')
        expect(vars.get(setting.name), setting.name).toBe(wranglerValue(setting));
    }
  });

  it('is .dev.vars.example: every secret, no other', () => {
    const keys = read('.dev.vars.example')
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(keys.sort()).toEqual(names('secret'));
  });

  it('is what parseConfig reads: a broken value of each variable is named as a problem', () => {
    const required = { X_PIXEL_ID: 'o9d7n', X_EVENTS: '{"purchase":"o9d2g"}' };
    const unread = SETTING_LIST.filter((s) => s.kind === 'var' && s.name !== 'X_EVENTS').filter(
      (s) => {
        // Free-text event names are judged against X_EVENTS only when their source is on.
        const webhook = /^(SHOPIFY|STRIPE|WOOCOMMERCE)_EVENT$/.exec(s.name)?.[1];
        const on = webhook ? { [`${webhook}_WEBHOOK_SECRET`]: 'whsec-test' } : {};
        const bad = s.name === 'ALLOWED_ORIGINS' ? 'shop.example' : '\u0000 not valid';
        const result = parseConfig({ ...required, ...on, [s.name]: bad });
        return result.ok || !result.problems.some((p) => p.startsWith(s.name));
      },
    );
    expect(unread.map((s) => s.name)).toEqual([]);
  });

  it('gives defaults the parser accepts', () => {
    const env = Object.fromEntries(
      SETTING_LIST.map((s) => [s.name, s.kind === 'var' ? wranglerValue(s) : '']),
    );
    const result = parseConfig({ ...env, X_PIXEL_ID: 'o9d7n', X_EVENTS: '{"purchase":"o9d2g"}' });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('gives the defaults the parser falls back to when a setting is unset', () => {
    const required = { X_PIXEL_ID: 'o9d7n', X_EVENTS: '{"purchase":"o9d2g"}' };
    const defaults = Object.fromEntries(
      SETTING_LIST.flatMap((s) =>
        s.kind === 'var' && s.default !== undefined ? [[s.name, wranglerValue(s)]] : [],
      ),
    );
    expect(parseConfig({ ...defaults, ...required })).toEqual(parseConfig(required));
  });
});
