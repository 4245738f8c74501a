import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';

const URL_ = 'https://shop.example/xcapi.js';

async function sha256Base64Url(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

describe('GET /xcapi.js', () => {
  // The Worker's first request loads its modules, which can take seconds on a busy machine.
  beforeAll(
    () => exports.default.fetch('https://shop.example/health').then((r) => r.body?.cancel()),
    60_000,
  );

  it('serves the built script with a strong ETag of its bytes and a short cache', async () => {
    const res = await exports.default.fetch(URL_);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await res.arrayBuffer();
    const text = new TextDecoder().decode(body);
    // The IIFE build: it replays the queue stub and talks to /events and /click.
    expect(text).toContain('/events');
    expect(text).toContain('/click');
    expect(text).toContain('_twclid');
    expect(res.headers.get('etag')).toBe(`"${await sha256Base64Url(body)}"`);
  });

  it('answers 304 without a body when If-None-Match matches (also weak or in a list)', async () => {
    const etag = (await exports.default.fetch(URL_)).headers.get('etag') as string;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await exports.default.fetch(URL_, { headers: { 'If-None-Match': ifNoneMatch } });
      expect(res.status, ifNoneMatch).toBe(304);
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(await res.text()).toBe('');
    }
  });

  it('answers 200 with the script when If-None-Match names another version', async () => {
    const res = await exports.default.fetch(URL_, { headers: { 'If-None-Match': '"stale"' } });
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBeGreaterThan(500);
  });
});
