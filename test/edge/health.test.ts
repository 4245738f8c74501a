import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('GET /health', () => {
  it('reports a valid configuration without secrets', async () => {
    const res = await exports.default.fetch('https://edge.example/health');
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ ok: true, pixel_id: 'o9d7n', auth: 'oauth1', dry_run: false });
    expect(JSON.stringify(body)).not.toContain('secret');
    // The first request loads the Worker's modules, which can take seconds on a busy machine.
  }, 60_000);
});
