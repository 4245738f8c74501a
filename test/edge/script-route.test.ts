import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { pixelEventIds } from '../../edge/routes/script.ts';

const URL_ = 'https://shop.example/xcapi.js';
const DATA_LAYER_URL = 'https://shop.example/xcapi-datalayer.js';
const CONSENT_URL = 'https://shop.example/xcapi-consent.js';
/** The test configuration's events as X's pixel names them. */
const PIXEL_EVENTS =
  '{"purchase":"tw-o9d7n-o9d2g","lead":"tw-o9d7n-o9d2h","signup":"tw-o9d7n-o9d2i"}';

async function sha256Base64Url(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

describe('pixelEventIds', () => {
  it("names each configured event as X's pixel does, keeping a tag already in that form", () => {
    expect(
      pixelEventIds({ pixelId: 'o9d7n', events: { purchase: 'o9d2g', lead: 'tw-o9d7n-o9d2h' } }),
    ).toEqual({ purchase: 'tw-o9d7n-o9d2g', lead: 'tw-o9d7n-o9d2h' });
  });
});

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

  it("carries the configured events for X's pixel in place of the build's placeholder", async () => {
    for (const url of [URL_, DATA_LAYER_URL]) {
      const res = await exports.default.fetch(url);
      const text = await res.text();
      expect(res.status, url).toBe(200);
      expect(text).toContain(PIXEL_EVENTS);
      expect(text).not.toContain('XCAPI_PIXEL_EVENTS');
      // Still a script that parses.
      expect(() => new Function(text)).not.toThrow();
    }
  });

  it('serves the dataLayer bridge with its own strong ETag', async () => {
    const res = await exports.default.fetch(DATA_LAYER_URL);
    const body = await res.arrayBuffer();
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(new TextDecoder().decode(body)).toContain('dataLayer');
    const etag = `"${await sha256Base64Url(body)}"`;
    expect(res.headers.get('etag')).toBe(etag);
    expect(etag).not.toBe((await exports.default.fetch(URL_)).headers.get('etag'));
    const again = await exports.default.fetch(DATA_LAYER_URL, {
      headers: { 'If-None-Match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('serves the consent adapter with its own strong ETag and the same cache', async () => {
    const res = await exports.default.fetch(CONSENT_URL);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await res.arrayBuffer();
    const text = new TextDecoder().decode(body);
    // It speaks both standards and drives the script by its consent command.
    expect(text).toContain('__tcfapi');
    expect(text).toContain('__tcfapiLocator');
    expect(text).toContain('ad_user_data');
    expect(text).toContain('dataLayer');
    expect(() => new Function(text)).not.toThrow();
    const etag = `"${await sha256Base64Url(body)}"`;
    expect(res.headers.get('etag')).toBe(etag);
    for (const other of [URL_, DATA_LAYER_URL]) {
      expect(etag).not.toBe((await exports.default.fetch(other)).headers.get('etag'));
    }
    const again = await exports.default.fetch(CONSENT_URL, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
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
