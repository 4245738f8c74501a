/**
 * @module
 * A browser rig for the browser script: the fake X API, the real edge Worker, and
 * Chromium (playwright-core) visiting `https://shop.example`. Playwright intercepts
 * the shop's origin: test pages are served from memory, everything else
 * (`/xcapi.js`, `/click`, `/events`) is forwarded to the running edge with its
 * method, headers (Cookie, Origin, Sec-GPC) and body, and the edge's status, headers
 * (Set-Cookie) and body come back. So cookies are first-party and Secure, as in
 * production, and every request the script makes is recorded.
 */
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startFakeX } from '../fake-x/server.ts';
import { edgeVarsFor } from '../rig/beacon.ts';
import { CHROMIUM_EXECUTABLE, launchChromium } from './chromium.ts';
import { type EdgeWorker, startEdgeWorker } from './edge-worker.ts';

export const SHOP = 'https://shop.example';
const CHROMIUM = process.env.CHROMIUM_PATH ?? CHROMIUM_EXECUTABLE;

/** One request the page sent to the shop's origin, and the answer it got. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  setCookie: string[];
}

export interface ShopOptions {
  /** Path (without query) to HTML, served for GET and POST. */
  pages: Record<string, string>;
  /**
   * More origins of the same shop (e.g. `https://checkout.shop.localhost`), served
   * like `https://shop.example`: the same pages, the rest forwarded to the edge.
   * The rig must have been started with them in `allowedOrigins`.
   */
  hosts?: string[];
  /** Global Privacy Control on: `navigator.globalPrivacyControl` and `Sec-GPC: 1`. */
  gpc?: boolean;
  /** Make `document.cookie` and `localStorage` throw, as a locked-down browser does. */
  blockStorage?: boolean;
  /** More script to run before the page's own (after the send spy). */
  initScript?: string;
}

export interface Shop {
  context: BrowserContext;
  page: Page;
  /** Requests the page sent, in the order they started. */
  requests: RecordedRequest[];
  /** Uncaught page errors and console errors: every test expects none. */
  errors: string[];
  /** Calls the script made to `navigator.sendBeacon` and `fetch`, in order. */
  sent(): Promise<string[]>;
  /** Waits until the script has replaced the queue stub with the real `xcapi`. */
  scriptLoaded(): Promise<void>;
  /** The `_twclid` cookie the browser would send to `origin` (default: the shop). */
  clickCookie(
    origin?: string,
  ): Promise<
    | { value: string; domain: string; secure: boolean; sameSite: string; expires: number }
    | undefined
  >;
  /** The localStorage copy of the click id (raw), on the current page's origin. */
  storedCopy(): Promise<string | null>;
}

export interface Rig {
  fakeXUrl: string;
  newShop(options: ShopOptions): Promise<Shop>;
  close(): Promise<void>;
}

/**
 * A test page: the README's queue stub, `extraHead`, then the async script tag.
 *
 * @example
 * shopPage({ tag: 'data-consent="pending"', body: '<h1>hi</h1>' });
 */
export function shopPage({
  tag = '',
  extraHead = '',
  body = '',
}: {
  tag?: string;
  extraHead?: string;
  body?: string;
}): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script>window.xcapi=window.xcapi||function(){(xcapi.q=xcapi.q||[]).push(arguments)}</script>
${extraHead}
<script async src="/xcapi.js" ${tag}></script>
</head><body>${body}</body></html>`;
}

/** Records the script's sends before any page script runs (their effect is unchanged). */
const SPY = `(() => {
  window.__sent = [];
  const beacon = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = (url, data) => { window.__sent.push('beacon ' + new URL(url, location.href).pathname); return beacon(url, data); };
  const fetchFn = window.fetch.bind(window);
  window.fetch = (url, init) => { window.__sent.push('fetch ' + new URL(String(url), location.href).pathname); return fetchFn(url, init); };
})();`;

const GPC = `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });`;

const BLOCK_STORAGE = `(() => {
  const blocked = () => { throw new DOMException('The operation is insecure.', 'SecurityError'); };
  Object.defineProperty(Document.prototype, 'cookie', { get: blocked, set: blocked, configurable: true });
  Object.defineProperty(window, 'localStorage', { get: blocked, configurable: true });
})();`;

/** Headers a forwarded request must not carry over (hop-by-hop or set by fetch itself). */
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'content-length',
  'keep-alive',
  'transfer-encoding',
]);

/**
 * Whether browser tests should run: Chromium is there, or this is CI (where a
 * missing Chromium must fail the run, not skip it).
 *
 * @example
 * describe.skipIf(!browserTestsEnabled())('the browser script', () => { ... });
 */
export function browserTestsEnabled(): boolean {
  if (existsSync(CHROMIUM) || process.env.CI === 'true') return true;
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
  return false;
}

/**
 * Starts the fake X, the edge and Chromium; undefined when Chromium is missing
 * outside CI (in CI that throws: browser tests never skip there).
 *
 * @example
 * const rig = await startRig();
 */
export interface RigOptions {
  /** Origins allowed to send browser calls besides `https://shop.example`. */
  allowedOrigins?: string[];
}

export async function startRig({ allowedOrigins = [] }: RigOptions = {}): Promise<Rig | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true')
      throw new Error(`Chromium not found at ${CHROMIUM}: browser tests must run in CI`);
    console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
    return undefined;
  }
  const fakeX = await startFakeX({ port: 0 });
  let edge: EdgeWorker | undefined;
  let browser: Browser | undefined;
  try {
    edge = await startEdgeWorker({
      ...edgeVarsFor(fakeX.url),
      ALLOWED_ORIGINS: [SHOP, ...allowedOrigins].join(','),
      // The demo pages (`npm start`) are tested through the same rig, which
      // the Worker sees as https://shop.example rather than a loopback host.
      DEMO: 'true',
      DEMO_PUBLIC: 'true',
    });
    browser = await launchChromium({ executablePath: CHROMIUM });
  } catch (error) {
    await browser?.close();
    await edge?.close();
    await fakeX.close();
    throw error;
  }
  const edgeUrl = edge.url;
  const chrome = browser;
  const contexts: BrowserContext[] = [];

  async function newShop({
    pages,
    hosts = [],
    gpc = false,
    blockStorage = false,
    initScript,
  }: ShopOptions): Promise<Shop> {
    const context = await chrome.newContext({ baseURL: SHOP });
    contexts.push(context);
    const requests: RecordedRequest[] = [];
    const errors: string[] = [];
    await context.addInitScript(SPY);
    if (gpc) {
      await context.addInitScript(GPC);
      await context.setExtraHTTPHeaders({ 'Sec-GPC': '1' });
    }
    if (blockStorage) await context.addInitScript(BLOCK_STORAGE);
    if (initScript) await context.addInitScript(initScript);

    const serve = async (route: Route) => {
      const request = route.request();
      const url = new URL(request.url());
      const headers = await request.allHeaders();
      const body = request.postData() ?? '';
      const record: RecordedRequest = {
        method: request.method(),
        path: url.pathname + url.search,
        headers,
        body,
        status: 0,
        setCookie: [],
      };
      requests.push(record);
      const page = pages[url.pathname];
      if (page !== undefined) {
        record.status = 200;
        await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: page });
        return;
      }
      const forwarded = Object.fromEntries(
        Object.entries(headers).filter(
          ([name]) => !name.startsWith(':') && !NOT_FORWARDED.has(name),
        ),
      );
      const res = await fetch(edgeUrl + record.path, {
        method: record.method,
        headers: forwarded,
        body:
          record.method === 'GET' || record.method === 'HEAD'
            ? undefined
            : (request.postData() ?? undefined),
        redirect: 'manual',
      });
      record.status = res.status;
      record.setCookie = res.headers.getSetCookie();
      const answer: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        if (name !== 'set-cookie' && name !== 'content-encoding' && name !== 'content-length')
          answer[name] = value;
      });
      // Playwright takes several cookies as one header joined by newlines.
      if (record.setCookie.length) answer['set-cookie'] = record.setCookie.join('\n');
      await route.fulfill({
        status: res.status,
        headers: answer,
        body: Buffer.from(await res.arrayBuffer()),
      });
    };
    for (const origin of [SHOP, ...hosts]) await context.route(`${origin}/**`, serve);

    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    return {
      context,
      page,
      requests,
      errors,
      sent: () => page.evaluate(() => (window as unknown as { __sent: string[] }).__sent),
      scriptLoaded: async () => {
        await page.waitForFunction(
          () => (window as { xcapi?: { loaded?: boolean } }).xcapi?.loaded === true,
        );
      },
      clickCookie: async (origin = SHOP) =>
        (await context.cookies(origin)).find((c) => c.name === '_twclid'),
      storedCopy: () => page.evaluate(() => localStorage.getItem('_twclid')),
    };
  }

  return {
    fakeXUrl: fakeX.url,
    newShop,
    close: async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await chrome.close();
      await edge.close();
      await fakeX.close();
    },
  };
}

/**
 * The rig for the enclosing `describe`: started before its tests, closed after;
 * each test's shop is closed after it, and the test fails if the page logged an
 * error or threw.
 *
 * @example
 * const rig = useRig();
 * it('...', async () => { const s = await rig.open({ pages: { '/': shopPage({}) } }); });
 */
export function useRig(options: RigOptions = {}): {
  open(options: ShopOptions): Promise<Shop>;
  fakeXUrl(): string;
} {
  let rig: Rig | undefined;
  let shop: Shop | undefined;
  beforeAll(async () => {
    rig = await startRig(options);
  }, 120_000);
  afterEach(async () => {
    const errors = shop?.errors ?? [];
    await shop?.context.close();
    shop = undefined;
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await rig?.close();
  });
  return {
    async open(shopOptions) {
      if (!rig) throw new Error('browser rig did not start');
      shop = await rig.newShop(shopOptions);
      return shop;
    },
    fakeXUrl: () => rig?.fakeXUrl ?? '',
  };
}

/** The requests the page sent to `path` (with its query, if any). */
export function requestsTo(s: Shop, path: string): RecordedRequest[] {
  return s.requests.filter((r) => r.path === path);
}

/** Bodies of the answered requests to `path` (default `/events`), parsed. */
export function eventsSent(s: Shop, path = '/events'): Record<string, unknown>[] {
  return requestsTo(s, path)
    .filter((r) => r.status !== 0)
    .map((r) => JSON.parse(r.body));
}
