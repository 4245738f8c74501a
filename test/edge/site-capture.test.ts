/**
 * Edge capture in workerd: the Worker in front of a real shop origin on
 * 127.0.0.1 (test/site-origin), reached through ORIGIN_URL.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import type { Env } from '../../edge/env.ts';
import { IMAGE_BYTES } from '../site-origin/server.ts';

const ORIGIN = inject('siteOriginUrl');
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const SITE = 'https://shop.example';
/** What a browser sends for a page navigation. */
const NAVIGATION = { Accept: 'text/html,application/xhtml+xml', 'Sec-Fetch-Dest': 'document' };

const app = createApp('');
const captureEnv: Env = { ...env, SITE_CAPTURE: 'true', ORIGIN_URL: ORIGIN };
const injectEnv: Env = { ...captureEnv, INJECT_SCRIPT: 'true' };

function viaEdge(path: string, init: RequestInit = {}, vars: Env = captureEnv) {
  return app.request(`${SITE}${path}`, init, vars);
}

/** The origin's own answer, for byte-for-byte comparisons. */
function fromOrigin(path: string, init: RequestInit = {}) {
  return fetch(`${ORIGIN}${path}`, { ...init, redirect: 'manual' });
}

function clickCookie(res: Response): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith('_twclid='));
}

function cookieJson(setCookie: string): { twclid: string; timestamp: number } {
  return JSON.parse(
    decodeURIComponent((/^_twclid=([^;]*)/.exec(setCookie) as RegExpExecArray)[1] as string),
  );
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('edge capture (SITE_CAPTURE=true)', () => {
  beforeAll(async () => (await viaEdge('/health')).body?.cancel(), 60_000);

  it('sets _twclid on the origin 302 of a landing page that drops the query', async () => {
    const before = Date.now();
    const res = await viaEdge(`/promo?twclid=${TWCLID}`, { headers: NAVIGATION });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/products/mug');
    const setCookies = res.headers.getSetCookie();
    // The origin's own cookie is kept beside ours.
    expect(setCookies).toContain('session=s1; Path=/');
    const cookie = clickCookie(res) as string;
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/^_twclid=%7B%22twclid%22%3A%22/);
    const value = cookieJson(cookie);
    expect(value.twclid).toBe(TWCLID);
    expect(value.timestamp).toBeGreaterThanOrEqual(before);
    expect(cookie).toContain('; Path=/');
    expect(cookie).toContain(`; Max-Age=${30 * 86400}`);
    expect(cookie).toContain('; SameSite=Lax');
    expect(cookie).toContain('; Secure');
    expect(cookie).not.toContain('Domain=');
    expect(cookie.toLowerCase()).not.toContain('httponly');
  });

  it('sets _twclid on an HTML landing page, and nothing on the page after the redirect', async () => {
    const landing = await viaEdge(`/?twclid=${TWCLID}`, { headers: NAVIGATION });
    expect(landing.status).toBe(200);
    expect(cookieJson(clickCookie(landing) as string).twclid).toBe(TWCLID);
    expect(await landing.text()).toBe(await (await fromOrigin('/')).text());

    const next = await viaEdge('/products/mug', { headers: NAVIGATION });
    expect(clickCookie(next)).toBeUndefined();
    await next.body?.cancel();
  });

  it('honours COOKIE_DAYS and COOKIE_DOMAIN', async () => {
    const vars = { ...captureEnv, COOKIE_DAYS: '90', COOKIE_DOMAIN: 'shop.example' };
    const res = await viaEdge(`/?twclid=${TWCLID}`, { headers: NAVIGATION }, vars);
    const cookie = clickCookie(res) as string;
    expect(cookie).toContain(`; Max-Age=${90 * 86400}`);
    expect(cookie).toContain('; Domain=shop.example');
    await res.body?.cancel();
  });

  it('leaves Secure off on localhost, where pages are served over http', async () => {
    const res = await app.request(
      `http://shop.localhost:8787/promo?twclid=${TWCLID}`,
      { headers: NAVIGATION },
      captureEnv,
    );
    const cookie = clickCookie(res) as string;
    expect(cookieJson(cookie).twclid).toBe(TWCLID);
    expect(cookie).not.toContain('Secure');
  });

  it('sets no cookie with Sec-GPC: 1, for an invalid click id, or on a redirect of a non-page request', async () => {
    const gpc = await viaEdge(`/promo?twclid=${TWCLID}`, {
      headers: { ...NAVIGATION, 'Sec-GPC': '1' },
    });
    expect(gpc.status).toBe(302);
    expect(gpc.headers.getSetCookie()).toEqual(['session=s1; Path=/']);

    const invalid = await viaEdge('/?twclid=not%20a%20click%20id', { headers: NAVIGATION });
    expect(clickCookie(invalid)).toBeUndefined();
    await invalid.body?.cancel();

    const image = await viaEdge(`/promo?twclid=${TWCLID}`, {
      headers: { Accept: 'image/*', 'Sec-Fetch-Dest': 'image' },
    });
    expect(clickCookie(image)).toBeUndefined();
  });

  it('passes an image through byte for byte, with its headers', async () => {
    const res = await viaEdge(`/logo.png?twclid=${TWCLID}`, { headers: { Accept: 'image/*' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-length')).toBe(String(IMAGE_BYTES.length));
    expect(clickCookie(res)).toBeUndefined();
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(IMAGE_BYTES);
  });

  it('passes a POST and its body through both ways untouched, even with INJECT_SCRIPT', async () => {
    const body = new Uint8Array([0, 255, 60, 104, 101, 97, 100, 62, 1, 2, 3, 200]);
    const init = { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } };
    const res = await viaEdge(`/form?twclid=${TWCLID}`, init, injectEnv);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-origin-method')).toBe('POST');
    expect(clickCookie(res)).toBeUndefined();
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(body);
  });

  it("answers an origin 500 with the origin's own status, headers and bytes", async () => {
    const direct = await fromOrigin('/fail');
    const res = await viaEdge(`/fail?twclid=${TWCLID}`, { headers: NAVIGATION }, injectEnv);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    expect(clickCookie(res)).toBeUndefined();
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(
      new Uint8Array(await direct.arrayBuffer()),
    );
  });

  it("passes the origin's 404 through instead of the edge's own", async () => {
    const res = await viaEdge('/no/such/page');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('no such page');
  });

  it('still serves its own routes', async () => {
    const res = await viaEdge('/xcapi.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    await res.body?.cancel();
  });

  it('keeps passing the site through while the rest of the configuration is broken', async () => {
    const res = await viaEdge(
      `/?twclid=${TWCLID}`,
      { headers: NAVIGATION },
      {
        ...captureEnv,
        X_EVENTS: 'not json',
      },
    );
    expect(res.status).toBe(200);
    expect(cookieJson(clickCookie(res) as string).twclid).toBe(TWCLID);
    await res.body?.cancel();
  });

  it('answers a plain 502 when the origin cannot be reached at all', async () => {
    const res = await viaEdge('/', {}, { ...captureEnv, ORIGIN_URL: 'http://127.0.0.1:1' });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('origin could not be reached');
  });

  it('without SITE_CAPTURE, answers 404 outside its routes as before', async () => {
    const res = await app.request(`${SITE}/products/mug`, {}, { ...env, ORIGIN_URL: ORIGIN });
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('errors');
  });
});

describe('script injection (INJECT_SCRIPT=true)', () => {
  it('adds the queue stub and the script tag once, in <head>', async () => {
    const res = await viaEdge('/products/mug', { headers: NAVIGATION }, injectEnv);
    const html = await res.text();
    expect(count(html, '<script async src="/xcapi.js"></script>')).toBe(1);
    expect(count(html, '(xcapi.q=xcapi.q||[]).push(arguments)')).toBe(1);
    const head = html.slice(0, html.indexOf('</head>'));
    expect(head).toContain('<script async src="/xcapi.js"></script>');
    // The page's own content is intact, accents included.
    expect(html).toContain('<p>Mugs, caf\u00e9 cups.</p>');
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('etag')).toBe('W/"page-v1"');
  });

  it('uses BASE_PATH in the injected tag', async () => {
    const res = await createApp('/xcapi').request(
      `${SITE}/products/mug`,
      { headers: NAVIGATION },
      { ...injectEnv, BASE_PATH: '/xcapi' },
    );
    expect(await res.text()).toContain('<script async src="/xcapi/xcapi.js"></script>');
  });

  it('leaves a page that already has the tag as it is', async () => {
    const res = await viaEdge('/has-script', { headers: NAVIGATION }, injectEnv);
    const html = await res.text();
    expect(count(html, 'xcapi.js')).toBe(1);
    expect(html).toBe(await (await fromOrigin('/has-script')).text());
  });

  it('sets the cookie and injects on the same landing page', async () => {
    const res = await viaEdge(`/?twclid=${TWCLID}`, { headers: NAVIGATION }, injectEnv);
    expect(cookieJson(clickCookie(res) as string).twclid).toBe(TWCLID);
    expect(count(await res.text(), 'src="/xcapi.js"')).toBe(1);
  });

  it('streams the page: the head arrives, injected, while the origin is still sending', async () => {
    const id = crypto.randomUUID();
    const res = await viaEdge(`/stream?id=${id}`, { headers: NAVIGATION }, injectEnv);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    // Bounded: the origin has sent only this much, so a buffering edge would hang here.
    while (!received.includes('<p>first</p>')) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    expect(received).toContain('<script async src="/xcapi.js"></script></head>');
    expect(received).not.toContain('second');

    await (await fetch(`${ORIGIN}/stream-release?id=${id}`)).body?.cancel();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      received += decoder.decode(chunk.value, { stream: true });
    }
    expect(received).toMatch(/<p>first<\/p><p>second<\/p><\/body><\/html>$/);
  });

  it('injects into a gzip-encoded page', async () => {
    const res = await viaEdge('/gzip', { headers: NAVIGATION }, injectEnv);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Compressed</h1>');
    expect(count(html, '<script async src="/xcapi.js"></script>')).toBe(1);
    expect(res.headers.get('content-length')).toBeNull();
  });

  it('injects at the start of <body> when the page has no <head> tag', async () => {
    const res = await viaEdge('/no-head', { headers: NAVIGATION }, injectEnv);
    const html = await res.text();
    expect(html).toBe(
      '<!doctype html><body><script>window.xcapi=window.xcapi||function(){(xcapi.q=xcapi.q||[]).push(arguments)}</script><script async src="/xcapi.js"></script><p>No head tag</p></body>',
    );
  });

  it('is off by default', async () => {
    const res = await viaEdge('/products/mug', { headers: NAVIGATION });
    expect(await res.text()).not.toContain('xcapi.js');
  });
});
