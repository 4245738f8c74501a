/**
 * The origin policy on its own (edge/http/origin-policy.ts): which header
 * counts, canonical comparison, and CORS labels on error answers too.
 */
import { describe, expect, it } from 'vitest';
import {
  allowedRequestOrigin,
  isAllowedOrigin,
  requestOrigin,
} from '../../edge/http/origin-policy.ts';
import { ALLOWED_ORIGIN, createEdge, VALID_EVENT } from './hostile-harness.ts';

const ALLOWED = ['https://shop.example', 'http://localhost:8080'];

describe('requestOrigin', () => {
  it('prefers Origin, falls back to the origin of Referer', () => {
    expect(
      requestOrigin(new Headers({ origin: 'https://a.example', referer: 'https://b.example/x' })),
    ).toBe('https://a.example');
    expect(requestOrigin(new Headers({ referer: 'https://b.example/cart?id=1#top' }))).toBe(
      'https://b.example',
    );
  });

  it('treats Origin: null as no origin, without falling back to Referer', () => {
    expect(
      requestOrigin(new Headers({ origin: 'null', referer: 'https://shop.example/' })),
    ).toBeUndefined();
  });

  it('ignores headers that are not http(s) URLs', () => {
    expect(requestOrigin(new Headers({ origin: 'chrome-extension://abc' }))).toBeUndefined();
    expect(requestOrigin(new Headers({ referer: 'not a url' }))).toBeUndefined();
    expect(requestOrigin(new Headers())).toBeUndefined();
  });
});

describe('isAllowedOrigin', () => {
  it('compares canonically: case and default ports do not matter', () => {
    expect(isAllowedOrigin('https://SHOP.example:443', ALLOWED)).toBe(true);
    expect(isAllowedOrigin('http://localhost:8080', ALLOWED)).toBe(true);
  });

  it('refuses other schemes, ports, subdomains and look-alikes', () => {
    for (const origin of [
      'http://shop.example',
      'https://shop.example:8443',
      'https://www.shop.example',
      'https://shop.example.evil.example',
      'https://evilshop.example',
      undefined,
    ]) {
      expect(isAllowedOrigin(origin, ALLOWED), String(origin)).toBe(false);
    }
  });

  it('allowedRequestOrigin gives the canonical allowed origin or undefined', () => {
    expect(allowedRequestOrigin(new Headers({ referer: 'https://shop.example/p' }), ALLOWED)).toBe(
      'https://shop.example',
    );
    expect(
      allowedRequestOrigin(new Headers({ origin: 'https://evil.example' }), ALLOWED),
    ).toBeUndefined();
  });
});

describe('CORS labels on POST /events answers', () => {
  const edge = createEdge({ X_PIXEL_ID: 'evorigin1' });
  const call = (origin: string) => edge.call({ origin, json: { event: 'purchase' } });

  it('lets an allowed page read its 400, and labels nothing for others', async () => {
    const allowed = await call('https://shop.example');
    expect(allowed.status).toBe(400);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('vary')).toContain('Origin');

    const refused = await call('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('vary')).toContain('Origin');
  });

  it('names the configured origin, not the raw header', async () => {
    const res = await call('https://SHOP.example:443');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('lets an allowed page read the 503 of a misconfigured edge', async () => {
    const broken = createEdge({ X_EVENTS: undefined });
    const res = await broken.call({ json: VALID_EVENT });
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({
      errors: [{ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('X_EVENTS') }],
    });
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(broken.recorder.messages).toEqual([]);
  });
});
