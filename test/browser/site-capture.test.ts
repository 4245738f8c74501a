/**
 * Edge capture in Chromium with JavaScript off: the real edge Worker (local
 * workerd, SITE_CAPTURE=true) in front of a local shop origin. An ad click lands
 * on a page the origin redirects (dropping the query); the click id is kept by
 * the cookie on the edge's 302 alone, with no script running at all.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { type LocalWorker, startLocalWorker } from '../rig/local-worker.ts';
import { type SiteOrigin, startSiteOrigin } from '../site-origin/server.ts';
import { launchChromium } from './chromium.ts';
import { browserTestsEnabled } from './shop.ts';

const TWCLID = 'edge7x9n5o40h6sd2ds3kbt';

let origin: SiteOrigin | undefined;
let edge: LocalWorker | undefined;
let browser: Browser | undefined;

const enabled = browserTestsEnabled();

beforeAll(async () => {
  if (!enabled) return;
  origin = await startSiteOrigin();
  edge = await startLocalWorker({
    config: 'wrangler.toml',
    vars: {
      X_PIXEL_ID: TEST_ACCOUNT.pixelId,
      X_EVENTS: JSON.stringify(TEST_ACCOUNT.events),
      SITE_CAPTURE: 'true',
      INJECT_SCRIPT: 'true',
      ORIGIN_URL: origin.url,
    },
  });
  browser = await launchChromium({ executablePath: process.env.CHROMIUM_PATH });
});
afterAll(async () => {
  await browser?.close();
  await edge?.close();
  await origin?.close();
});

describe.runIf(enabled)('edge capture in Chromium', () => {
  it('keeps the click id from the 302 of a landing page with JavaScript disabled', async () => {
    if (!browser || !edge) throw new Error('edge capture rig did not start');
    // *.localhost resolves to 127.0.0.1: a host of its own, served over http.
    const site = `http://shop.localhost:${edge.url.port}`;
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const statuses: number[] = [];
      page.on('response', (res) => statuses.push(res.status()));
      await page.goto(`${site}/promo?twclid=${TWCLID}`);
      expect(new URL(page.url()).pathname).toBe('/products/mug');
      expect(statuses).toContain(302);
      expect(await page.textContent('h1')).toBe('Mug');
      // The injected tag is in the page (not run: JavaScript is off).
      expect(await page.locator('script[src="/xcapi.js"]').count()).toBe(1);

      const cookie = (await context.cookies(site)).find((c) => c.name === '_twclid');
      expect(cookie).toBeDefined();
      const value = JSON.parse(decodeURIComponent(cookie?.value ?? ''));
      expect(value.twclid).toBe(TWCLID);
      expect(cookie?.path).toBe('/');
      expect(cookie?.sameSite).toBe('Lax');
      expect(cookie?.httpOnly).toBe(false);
      // Lifetime: COOKIE_DAYS (30) from now, give or take the test's own duration.
      expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86400);
    } finally {
      await context.close();
    }
  });

  it('keeps nothing for a visitor who sends Global Privacy Control', async () => {
    if (!browser || !edge) throw new Error('edge capture rig did not start');
    const site = `http://shop.localhost:${edge.url.port}`;
    const context = await browser.newContext({
      javaScriptEnabled: false,
      extraHTTPHeaders: { 'Sec-GPC': '1' },
    });
    try {
      const page = await context.newPage();
      await page.goto(`${site}/promo?twclid=${TWCLID}`);
      expect(await page.textContent('h1')).toBe('Mug');
      const names = (await context.cookies(site)).map((c) => c.name);
      // The origin's own session cookie is there; the click id is not.
      expect(names).toContain('session');
      expect(names).not.toContain('_twclid');
    } finally {
      await context.close();
    }
  });
});
