import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { configCopy } from './edge-config-copy.ts';

/** The parts of wrangler.toml the test compares. */
interface WranglerShape {
  main: string;
  vars: unknown;
  queues: { producers: unknown; consumers?: unknown[] };
  durable_objects: unknown;
  ratelimits: unknown;
}

describe('configCopy', () => {
  it("drops every consumer table of the repository's wrangler.toml and keeps the rest", async () => {
    const toml = await readFile('wrangler.toml', 'utf8');
    const original = parse(toml) as unknown as WranglerShape;
    expect(original.queues.consumers?.length).toBeGreaterThan(0);
    const copy = parse(
      configCopy(toml, '/repo', { withoutQueueConsumers: true }),
    ) as unknown as WranglerShape;
    expect(copy.queues.consumers).toBeUndefined();
    expect(copy.queues.producers).toEqual(original.queues.producers);
    expect(copy.durable_objects).toEqual(original.durable_objects);
    expect(copy.ratelimits).toEqual(original.ratelimits);
    expect(copy.vars).toEqual(original.vars);
    expect(copy.main).toBe('/repo/edge/index.ts');
  });

  it('swaps the entry point and keeps the consumers unless asked', () => {
    const copy = parse(
      configCopy('main = "a.ts"\n[[queues.consumers]]\nqueue = "q"\n[vars]\nX = "1"\n', '/w', {
        main: 'bench/b.ts',
      }),
    );
    expect(copy).toEqual({
      main: '/w/bench/b.ts',
      queues: { consumers: [{ queue: 'q' }] },
      vars: { X: '1' },
    });
  });
});
