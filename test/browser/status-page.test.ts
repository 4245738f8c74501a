/**
 * The operator's status page (`GET /status/`) in Chromium, served by the
 * running edge: it asks for the server key once, keeps it for the tab, and
 * shows /status and /dead-letters as tables with a 24-hour chart. With
 * `UPDATE_SCREENSHOTS=1` it also writes docs/status-page.png for the README.
 */
import { describe, expect, it } from 'vitest';
import { fakeXControl } from '../fake-x/control.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { browserTestsEnabled, useRig } from './shop.ts';

describe.runIf(browserTestsEnabled())('status page', () => {
  const rig = useRig();

  it('asks for the key once, then shows delivery, counts, chart and dead letters', async () => {
    const x = fakeXControl(rig.fakeXUrl());
    await x.setFaults(TEST_ACCOUNT.pixelId, { rejectConversionIds: ['page-bad'] });
    const { page } = await rig.open({ pages: {} });

    await page.goto('/status/');
    await expect.poll(() => page.isVisible('#key')).toBe(true);
    expect(await page.locator('#out table').count()).toBe(0);

    // Seed conversions as a checkout backend would.
    const status = await page.evaluate(async (key) => {
      const res = await fetch('/events', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          events: [
            {
              event: 'purchase',
              twclid: 'pagetwclid1',
              email: 'a@shop.example',
              conversion_id: 'page-1',
              value: '10.00',
              currency: 'EUR',
            },
            { event: 'purchase', twclid: 'pagetwclid2', conversion_id: 'page-2' },
            {
              event: 'lead',
              phone: '+14155550100',
              twclid: 'pagetwclid3',
              conversion_id: 'page-3',
            },
            { event: 'purchase', twclid: 'pagetwclid4', conversion_id: 'page-bad' },
          ],
        }),
      });
      return res.status;
    }, TEST_ACCOUNT.serverKey);
    expect(status).toBe(202);
    await expect
      .poll(async () => (await x.received(TEST_ACCOUNT.pixelId)).conversions.length, {
        timeout: 20_000,
      })
      .toBe(3);

    await page.fill('#key', TEST_ACCOUNT.serverKey);
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#out'), { timeout: 20_000 }).toContain('page-bad');
    const text = (await page.textContent('#out')) ?? '';
    expect(text).toContain('purchase');
    expect(text).toContain('lead');
    expect(text).toContain('rejected');
    expect(await page.textContent('#state')).toMatch(/^(ok|degraded)$/);
    expect(await page.locator('#out table').count()).toBeGreaterThanOrEqual(5);
    // 24 hours x (accepted, sent, dead-lettered).
    expect(await page.locator('svg#chart rect').count()).toBe(72);

    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await page.screenshot({ path: 'docs/status-page.png', fullPage: true });
    }

    // The key is kept for the tab: a reload asks nothing.
    await page.reload();
    await expect.poll(() => page.textContent('#out'), { timeout: 20_000 }).toContain('page-bad');
    expect(await page.isVisible('#key')).toBe(false);
  });
});
