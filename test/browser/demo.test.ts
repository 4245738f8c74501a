/**
 * The `npm start` demo in Chromium, served by the running edge (DEMO=true) on
 * `https://shop.example`: an ad click lands, a purchase at checkout reaches the
 * fake X API with the click id, and the "what was sent" page shows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeXControl } from '../fake-x/control.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { browserTestsEnabled, type Rig, startRig } from './shop.ts';

const TWCLID = 'demo7x9n5o40h6sd2ds3kbt';

let rig: Rig | undefined;

beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

describe.runIf(browserTestsEnabled())('demo pages', () => {
  it('take an ad click to a purchase X receives, and show what was sent', async () => {
    if (!rig) throw new Error('browser rig did not start');
    const shop = await rig.newShop({ pages: {} });
    const { page } = shop;

    await page.goto(`/demo/?twclid=${TWCLID}`);
    await expect.poll(async () => (await shop.clickCookie())?.value ?? '').toContain(TWCLID);

    await page.click('text=Checkout');
    await page.waitForURL('**/demo/checkout');
    await shop.scriptLoaded();
    await page.click('#buy');
    await expect.poll(() => page.isVisible('#done')).toBe(true);

    const x = fakeXControl(rig.fakeXUrl);
    await expect
      .poll(
        async () =>
          (await x.received(TEST_ACCOUNT.pixelId)).conversions.filter((c) =>
            c.identifiers.some((id) => 'twclid' in id && id.twclid === TWCLID),
          ).length,
        { timeout: 15_000 },
      )
      .toBe(1);

    await page.goto('/demo/sent');
    const sent = await page.textContent('body');
    expect(sent).toContain('delivered');
    expect(sent).toContain(TWCLID);
    expect(sent).toContain('[redacted]');
    expect(shop.errors).toEqual([]);
  });
});
