import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';

describe('GET /health', () => {
  it('answers anyone with ok and the delivery state only', async () => {
    const res = await exports.default.fetch('https://edge.example/health');
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toEqual({
      ok: true,
      delivery: { state: 'ok', since: expect.any(String), reason: null },
    });
    // The first request loads the Worker's modules, which can take seconds on a busy machine.
  }, 60_000);

  it('adds pixel, events, problems and dry run for the server key, never a secret', async () => {
    const res = await exports.default.fetch('https://edge.example/health', {
      headers: { authorization: `Bearer ${TEST_ACCOUNT.serverKey}` },
    });
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      ok: true,
      delivery: { state: 'ok' },
      pixel_id: 'o9d7n',
      events: TEST_ACCOUNT.events,
      problems: [],
      auth: 'oauth1',
      dry_run: false,
    });
    expect(JSON.stringify(body)).not.toContain('secret');
  });

  it('answers a wrong key with 401 in X shape', async () => {
    const res = await exports.default.fetch('https://edge.example/health', {
      headers: { authorization: 'Bearer not-the-key' },
    });
    expect(res.status).toBe(401);
    const body = await res.json<{ errors: { code: string }[] }>();
    expect(body.errors[0]?.code).toBe('UNAUTHORIZED');
  });
});
