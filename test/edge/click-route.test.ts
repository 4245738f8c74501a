import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { twclidCookieOptions } from '../../edge/identity/twclid.ts';
import { configOf } from './hostile-harness.ts';
import { withinOneWindow } from './rate-limit-window.ts';

const ORIGIN = 'https://shop.example';
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';

function postClick(
  body: string,
  headers: Record<string, string> = {},
  url = `${ORIGIN}/click`,
): Promise<Response> {
  return exports.default.fetch(url, {
    method: 'POST',
    body,
    headers: { Origin: ORIGIN, 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
  });
}

/** The `_twclid` cookie value of a Set-Cookie header, URI-decoded and parsed. */
function cookieValue(setCookie: string): { twclid: string; timestamp: number } {
  const match = /^_twclid=([^;]*)/.exec(setCookie);
  expect(match).not.toBeNull();
  return JSON.parse(decodeURIComponent((match as RegExpExecArray)[1] as string));
}

describe('POST /click', () => {
  // The Worker's first request loads its modules, which can take seconds on a busy machine.
  beforeAll(
    () => exports.default.fetch('https://shop.example/health').then((r) => r.body?.cancel()),
    60_000,
  );

  it('sets _twclid in the X pixel form for 30 days, readable by script, Secure on https', async () => {
    const before = Date.now();
    const res = await postClick(JSON.stringify({ twclid: TWCLID }));
    expect(res.status).toBe(204);
    const setCookie = res.headers.get('set-cookie') as string;
    // The pixel's form: the whole JSON URI-encoded.
    expect(setCookie).toMatch(
      /^_twclid=%7B%22twclid%22%3A%22[\w-]+%22%2C%22timestamp%22%3A\d+%7D;/,
    );
    const { twclid, timestamp } = cookieValue(setCookie);
    expect(twclid).toBe(TWCLID);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Date.now());
    expect(setCookie).toContain('; Path=/');
    expect(setCookie).toContain(`; Max-Age=${30 * 86400}`);
    expect(setCookie).toContain('; SameSite=Lax');
    expect(setCookie).toContain('; Secure');
    expect(setCookie.toLowerCase()).not.toContain('httponly');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('accepts an application/json body too', async () => {
    const res = await postClick(JSON.stringify({ twclid: TWCLID }), {
      'Content-Type': 'application/json',
    });
    expect(res.status).toBe(204);
    expect(cookieValue(res.headers.get('set-cookie') as string).twclid).toBe(TWCLID);
  });

  it('is Secure even on plain http, except on a local host (development)', async () => {
    const http = await postClick(
      JSON.stringify({ twclid: TWCLID }),
      {},
      'http://shop.example/click',
    );
    expect(http.status).toBe(204);
    expect(http.headers.get('set-cookie')).toContain('; Secure');
    const local = await postClick(
      JSON.stringify({ twclid: TWCLID }),
      {},
      'http://localhost:8787/click',
    );
    expect(local.status).toBe(204);
    expect(local.headers.get('set-cookie')).not.toContain('Secure');
  });

  it('honours Sec-GPC: 1 with a 204 and no cookie', async () => {
    const res = await postClick(JSON.stringify({ twclid: TWCLID }), { 'Sec-GPC': '1' });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-xcapi-gpc')).toBe('honoured');
  });

  it.each([
    ['a character outside the click id alphabet', JSON.stringify({ twclid: 'abc<script>' })],
    ['an empty click id', JSON.stringify({ twclid: '' })],
    ['a click id over 128 characters', JSON.stringify({ twclid: 'a'.repeat(129) })],
    ['a number', JSON.stringify({ twclid: 12345 })],
    ['no twclid', JSON.stringify({ click: TWCLID })],
    ['JSON null', 'null'],
    ['a body that is not JSON', `twclid=${TWCLID}`],
  ])('answers 400 in X shape for %s, without a cookie', async (_, body) => {
    const res = await postClick(body);
    expect(res.status).toBe(400);
    expect(res.headers.get('set-cookie')).toBeNull();
    const json = await res.json<{ errors: { code: string; parameter: string }[] }>();
    expect(json.errors[0]).toMatchObject({ code: 'INVALID_PARAMETER', parameter: 'twclid' });
  });

  it('refuses an origin outside ALLOWED_ORIGINS, and a request without any origin', async () => {
    const other = await postClick(JSON.stringify({ twclid: TWCLID }), {
      Origin: 'https://evil.example',
    });
    expect(other.status).toBe(403);
    expect(other.headers.get('set-cookie')).toBeNull();
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await other.json<{ errors: { code: string }[] }>()).errors[0]?.code).toBe('FORBIDDEN');

    const none = await exports.default.fetch(`${ORIGIN}/click`, {
      method: 'POST',
      body: JSON.stringify({ twclid: TWCLID }),
    });
    expect(none.status).toBe(403);
    expect(none.headers.get('set-cookie')).toBeNull();
  });

  it('answers a CORS preflight from an allowed origin with credentials allowed', async () => {
    const res = await exports.default.fetch(`${ORIGIN}/click`, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('shares the browser rate limit per address: the 61st click in a minute is a readable 429', async () => {
    let host = 76;
    const statuses = await withinOneWindow(async () => {
      // Addresses no other test uses (TEST-NET-3), so the count is this test's own.
      const ip = `203.0.113.${++host}`;
      const got: number[] = [];
      for (let i = 0; i < 61; i++) {
        const res = await postClick(JSON.stringify({ twclid: TWCLID }), { 'CF-Connecting-IP': ip });
        got.push(res.status);
        if (res.status === 429) {
          expect(res.headers.get('set-cookie')).toBeNull();
          expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
          const json = await res.json<{ errors: { code: string }[] }>();
          expect(json.errors[0]?.code).toBe('TOO_MANY_REQUESTS');
        } else {
          await res.body?.cancel();
        }
      }
      return got;
    });
    expect(statuses.slice(0, 60).every((s) => s === 204)).toBe(true);
    expect(statuses[60]).toBe(429);
  });

  it('answers 413 in X shape for a body over 1 KB, without a cookie', async () => {
    const res = await postClick(JSON.stringify({ twclid: TWCLID, pad: 'x'.repeat(2000) }));
    expect(res.status).toBe(413);
    expect(res.headers.get('set-cookie')).toBeNull();
    const json = await res.json<{ errors: { code: string }[] }>();
    expect(json.errors[0]?.code).toBe('REQUEST_TOO_LARGE');
  });
});

describe('twclidCookieOptions', () => {
  const config = configOf(env);

  it('is Secure except on localhost, 127.0.0.1 and *.localhost', () => {
    for (const url of ['https://shop.example/click', 'http://shop.example/', 'http://10.0.0.2/']) {
      expect(twclidCookieOptions(config, url).secure, url).toBe(true);
    }
    for (const url of ['http://localhost:8787/', 'http://127.0.0.1/', 'http://shop.localhost/']) {
      expect(twclidCookieOptions(config, url).secure, url).toBe(false);
    }
  });

  it('sets Domain only when COOKIE_DOMAIN is configured, and Max-Age from COOKIE_DAYS', () => {
    expect(twclidCookieOptions(config, 'https://shop.example/')).toEqual({
      path: '/',
      sameSite: 'Lax',
      maxAge: 30 * 86_400,
      secure: true,
    });
    const shared = configOf({ ...env, COOKIE_DOMAIN: '.shop.example', COOKIE_DAYS: '90' });
    expect(twclidCookieOptions(shared, 'https://www.shop.example/')).toMatchObject({
      domain: 'shop.example',
      maxAge: 90 * 86_400,
    });
  });
});
