/**
 * The status page (`GET /status/`) of an edge serving two pixels (`X_PIXELS`),
 * in Chromium: one section per pixel with its own delivery state, and a
 * pixel's own key (`SERVER_KEY_<ID>`) seeing its pixel alone.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeXServer, startFakeX } from '../fake-x/server.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { CHROMIUM_EXECUTABLE, launchChromium } from './chromium.ts';
import { type EdgeWorker, startEdgeWorker } from './edge-worker.ts';

const A = { id: 'pgpixa1', events: { purchase: 'pgta1' }, origins: ['https://shop-a.example'] };
const B = { id: 'pgpixb2', events: { purchase: 'pgtb2' }, origins: ['https://shop-b.example'] };
const B_KEY = 'b-only-server-key-0123456789abcdef';

describe.runIf(existsSync(CHROMIUM_EXECUTABLE))('status page with several pixels', () => {
  let fakeX: FakeXServer;
  let edge: EdgeWorker;
  let browser: Browser;

  beforeAll(async () => {
    fakeX = await startFakeX({ port: 0 });
    fakeX.fake.addAccount({ pixelId: A.id, events: A.events });
    fakeX.fake.addAccount({ pixelId: B.id, events: B.events });
    fakeX.fake.setFaults(B.id, { revoked: true });
    edge = await startEdgeWorker({
      X_API_BASE_URL: fakeX.url,
      X_PIXELS: JSON.stringify([A, B]),
      X_CONSUMER_KEY: TEST_ACCOUNT.consumerKey,
      X_CONSUMER_SECRET: TEST_ACCOUNT.consumerSecret,
      X_ACCESS_TOKEN: TEST_ACCOUNT.accessToken,
      X_ACCESS_TOKEN_SECRET: TEST_ACCOUNT.accessTokenSecret,
      SERVER_KEY: TEST_ACCOUNT.serverKey,
      SERVER_KEY_PGPIXB2: B_KEY,
      QUEUE_SEAL_KEY: TEST_ACCOUNT.queueSealKey,
    });
    browser = await launchChromium({ executablePath: CHROMIUM_EXECUTABLE });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.close();
    await fakeX?.close();
  });

  async function send(pixel: string, conversionId: string) {
    const res = await fetch(`${edge.url}/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_ACCOUNT.serverKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        pixel,
        event: 'purchase',
        twclid: 'pagetwclid1',
        conversion_id: conversionId,
      }),
    });
    expect(res.status).toBe(202);
  }

  async function open(key: string) {
    const context = await browser.newContext({ baseURL: edge.url });
    const page = await context.newPage();
    await page.goto('/status/');
    await page.fill('#key', key);
    await page.click('button[type=submit]');
    return { page, context };
  }

  it('shows each pixel, the refused one blocked, and a pixel key its own only', async () => {
    await send(A.id, 'pg-a-1');
    await send(B.id, 'pg-b-1');
    // A delivers; X refuses B's credentials, which blocks B alone.
    await expect
      .poll(() => fakeX.fake.received(A.id).conversions.length, { timeout: 30_000 })
      .toBe(1);
    await expect
      .poll(() => fakeX.fake.received(B.id).requests.some((r) => r.status === 401), {
        timeout: 30_000,
      })
      .toBe(true);

    const all = await open(TEST_ACCOUNT.serverKey);
    await expect
      .poll(() => all.page.locator('h2.pixel').allTextContents(), { timeout: 10_000 })
      .toEqual([`Pixel ${A.id}`, `Pixel ${B.id}`]);
    await expect.poll(() => all.page.textContent('#state'), { timeout: 10_000 }).toBe('blocked');
    expect(await all.page.locator('svg[role=img]').count()).toBe(2);
    await all.context.close();

    const own = await open(B_KEY);
    await expect
      .poll(() => own.page.locator('#out table').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    const text = (await own.page.textContent('#out')) ?? '';
    expect(text).toContain(B.id);
    expect(text).not.toContain(A.id);
    expect(await own.page.locator('h2.pixel').count()).toBe(0);
    await own.context.close();
  }, 90_000);
});
