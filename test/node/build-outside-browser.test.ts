/**
 * The built browser script loaded where there is no DOM (Node, a worker, SSR):
 * it must do nothing and throw nothing. Needs `npm run build` first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';

const dist = join(import.meta.dirname, '../../dist');
const iifePath = join(dist, 'xcapi.js');
const esmPath = join(dist, 'client.mjs');

describe('the built script outside a browser', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('has been built (run `npm run build`)', () => {
    expect(existsSync(iifePath), iifePath).toBe(true);
    expect(existsSync(esmPath), esmPath).toBe(true);
  });

  it('dist/xcapi.js evaluates in a bare context, defines nothing and sends nothing', () => {
    const fetch = vi.fn();
    const sandbox: Record<string, unknown> = { fetch, navigator: { sendBeacon: fetch } };
    const before = Object.keys(sandbox);
    expect(() => runInNewContext(readFileSync(iifePath, 'utf8'), sandbox)).not.toThrow();
    expect(Object.keys(sandbox)).toEqual(before);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('dist/xcapi.js evaluates in Node itself without a trace', () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const globalsBefore = Object.keys(globalThis).sort();
    expect(() => new Function(readFileSync(iifePath, 'utf8'))()).not.toThrow();
    expect(Object.keys(globalThis).sort()).toEqual(globalsBefore);
    expect('xcapi' in globalThis).toBe(false);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('the adapters evaluate in a bare context and in Node, defining and sending nothing', () => {
    for (const file of ['xcapi-datalayer.js', 'xcapi-consent.js']) {
      const source = readFileSync(join(dist, file), 'utf8');
      const fetch = vi.fn();
      const sandbox: Record<string, unknown> = { fetch, setTimeout: vi.fn() };
      expect(() => runInNewContext(source, sandbox), file).not.toThrow();
      expect(Object.keys(sandbox), file).toEqual(['fetch', 'setTimeout']);
      const globalsBefore = Object.keys(globalThis).sort();
      expect(() => new Function(source)(), file).not.toThrow();
      expect(Object.keys(globalThis).sort(), file).toEqual(globalsBefore);
      expect(fetch, file).not.toHaveBeenCalled();
      expect(sandbox.setTimeout, file).not.toHaveBeenCalled();
    }
  });

  it('dist/client.mjs imports, and every export does nothing', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const client = (await import(
      pathToFileURL(esmPath).href
    )) as typeof import('../../client/index.ts');
    expect(Object.keys(client).sort()).toEqual(['clickId', 'consent', 'init', 'track']);
    expect(() => {
      client.init({ endpoint: 'https://shop.example', consent: 'pending' });
      client.track('purchase', { email: 'ada@example.com', value: 1, currency: 'USD' });
      client.consent(true);
      client.consent(false);
    }).not.toThrow();
    expect(client.clickId()).toBeUndefined();
    expect(fetch).not.toHaveBeenCalled();
  });
});
