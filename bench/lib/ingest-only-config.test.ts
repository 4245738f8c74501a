import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { withoutQueueConsumers } from './ingest-only-config.ts';

describe('withoutQueueConsumers', () => {
  it("drops every consumer table of the repository's wrangler.toml and keeps the rest", async () => {
    const toml = await readFile('wrangler.toml', 'utf8');
    expect(toml).toContain('[[queues.consumers]]');
    const copy = withoutQueueConsumers(toml, '/repo');
    expect(copy).not.toContain('[[queues.consumers]]');
    expect(copy).not.toContain('max_batch_size');
    expect(copy.match(/\[\[queues\.producers\]\]/g)).toHaveLength(
      toml.match(/\[\[queues\.producers\]\]/g)?.length ?? -1,
    );
    expect(copy).toContain('[[durable_objects.bindings]]');
    expect(copy).toContain('[[ratelimits]]');
    expect(copy).toContain('main = "/repo/edge/index.ts"');
  });

  it('stops skipping at the next table, whatever it is', () => {
    const copy = withoutQueueConsumers(
      'main = "a.ts"\n[[queues.consumers]]\nqueue = "q"\n[vars]\nX = "1"\n',
      '/w',
    );
    expect(copy).toBe('main = "/w/a.ts"\n[vars]\nX = "1"\n');
  });
});
