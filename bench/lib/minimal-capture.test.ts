import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTwclidCookie } from '../../common/twclid-cookie.ts';
import { SHOP_ORIGIN } from '../../test/rig/beacon.ts';
import {
  inFreshContext,
  type LoadOptions,
  launchLandingBrowser,
  loadLanding,
  TWCLID,
} from './landing-page.ts';
import { MINIMAL_CAPTURE_SCRIPT } from './minimal-capture.ts';

const GPC_ON = `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });`;

let browser: Browser;

beforeAll(async () => {
  browser = await launchLandingBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** What a script left behind after one landing: cookie, storage copy, beacons. */
async function land(script: string, options: LoadOptions & { gpc?: boolean } = {}) {
  return inFreshContext(browser, async (context: BrowserContext) => {
    if (options.gpc) await context.addInitScript(GPC_ON);
    const { beacons } = await loadLanding(context, script, options);
    const cookie = (await context.cookies(SHOP_ORIGIN)).find((c) => c.name === '_twclid');
    const page = context.pages()[0];
    const stored = await page?.evaluate(() => localStorage.getItem('_twclid'));
    return { beacons, cookie, stored };
  });
}

describe('the minimal capture', () => {
  it('stores the click id and posts it to /click as dist/xcapi.js does', async () => {
    const minimal = await land(MINIMAL_CAPTURE_SCRIPT);
    const xcapi = await land(await readFile('dist/xcapi.js', 'utf8'));
    for (const { cookie, stored, beacons } of [minimal, xcapi]) {
      expect(parseTwclidCookie(cookie?.value)).toEqual({
        twclid: TWCLID,
        timestamp: expect.any(Number),
      });
      expect(JSON.parse(stored ?? 'null')).toEqual({
        twclid: TWCLID,
        timestamp: expect.any(Number),
      });
      expect(beacons).toEqual([{ path: '/click', body: JSON.stringify({ twclid: TWCLID }) }]);
    }
    expect(minimal.cookie).toMatchObject({
      path: '/',
      sameSite: 'Lax',
      secure: true,
      httpOnly: false,
      domain: xcapi.cookie?.domain,
    });
    expect(xcapi.cookie).toMatchObject({ path: '/', sameSite: 'Lax', secure: true });
    // Both 30 days from the load; the loads were seconds apart.
    expect(Math.abs((minimal.cookie?.expires ?? 0) - (xcapi.cookie?.expires ?? 0))).toBeLessThan(
      120,
    );
  }, 60_000);

  it('posts to the endpoint its tag names', async () => {
    const { beacons } = await land(MINIMAL_CAPTURE_SCRIPT, {
      scriptAttributes: ` data-endpoint="${SHOP_ORIGIN}/edge/"`,
    });
    expect(beacons).toEqual([{ path: '/edge/click', body: JSON.stringify({ twclid: TWCLID }) }]);
  }, 30_000);

  it('does nothing while consent is pending or under Global Privacy Control', async () => {
    const pending = await land(MINIMAL_CAPTURE_SCRIPT, {
      scriptAttributes: ' data-consent="pending"',
    });
    const gpc = await land(MINIMAL_CAPTURE_SCRIPT, { gpc: true });
    for (const { cookie, stored, beacons } of [pending, gpc]) {
      expect(cookie).toBeUndefined();
      expect(stored).toBeNull();
      expect(beacons).toEqual([]);
    }
  }, 30_000);
});
