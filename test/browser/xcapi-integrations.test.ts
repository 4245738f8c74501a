/**
 * The built dist/xcapi.js (and dist/xcapi-datalayer.js) in Chromium, served by the
 * running edge, delivering to the fake X API (see ./shop.ts): single-page-app
 * navigation, one click id across two hosts of a shop, the mirror to X's pixel,
 * GA4 dataLayer events. Every test also asserts the page logged no error and
 * threw nothing.
 */
import { describe, expect, it } from 'vitest';
import { fakeXControl } from '../fake-x/control.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import {
  browserTestsEnabled,
  eventsSent,
  requestsTo,
  type Shop,
  shopPage,
  useRig,
} from './shop.ts';

const LANDING_HOST = 'https://www.shop.localhost';
const CHECKOUT_HOST = 'https://checkout.shop.localhost';
const PIXEL = TEST_ACCOUNT.pixelId;
const ID_OLD = 'oldclick000000000000000000';
const ID_A = 'spaclicka000000000000000000';
const ID_B = 'spaclickb000000000000000000';
const ID_C = 'spaclickc000000000000000000';

type Xcapi = (...args: unknown[]) => void;

/** Click ids the page sent to `POST /click`, in order. */
function clicksSent(s: Shop): string[] {
  return requestsTo(s, '/click').map((r) => JSON.parse(r.body).twclid);
}

/** The conversions the fake X received with this conversion id. */
async function atX(fakeXUrl: string, conversionId: string) {
  const fakeX = fakeXControl(fakeXUrl);
  return (await fakeX.received(PIXEL)).conversions.filter((c) => c.conversion_id === conversionId);
}

/** Records every `twq(...)` call, as X's pixel base code would queue it. */
const TWQ_STUB = `<script>window.twqCalls=[];window.twq=function(){twqCalls.push(JSON.parse(JSON.stringify(Array.from(arguments))))};</script>`;

describe.skipIf(!browserTestsEnabled())(
  'the browser script with SPAs, subdomains, X pixel, GA4',
  () => {
    const { open, fakeXUrl } = useRig({ allowedOrigins: [LANDING_HOST, CHECKOUT_HOST] });

    it('a click id in the landing URL beats an older stored one', async () => {
      const s = await open({ pages: { '/': shopPage({}) } });
      await s.context.addCookies([
        { name: '_twclid', value: ID_OLD, url: 'https://shop.example', secure: true },
      ]);
      await s.page.goto(`/?twclid=${ID_A}`);
      await s.scriptLoaded();
      await s.page.evaluate(() => (window as unknown as { xcapi: Xcapi }).xcapi('track', 'lead'));
      await expect.poll(() => eventsSent(s).length).toBe(1);
      expect(eventsSent(s)[0]?.twclid).toBe(ID_A);
      await expect.poll(() => clicksSent(s)).toEqual([ID_A]);
      expect(decodeURIComponent((await s.clickCookie())?.value ?? '')).toContain(ID_A);
    });

    it('follows pushState, replaceState and popstate to a new click id', async () => {
      const s = await open({ pages: { '/': shopPage({}), '/promo': shopPage({}) } });
      await s.page.goto('/');
      await s.scriptLoaded();
      expect(clicksSent(s)).toEqual([]);

      // A client-side route change to an ad landing URL.
      await s.page.evaluate((id) => history.pushState({}, '', `/promo?twclid=${id}`), ID_A);
      await expect.poll(() => clicksSent(s)).toEqual([ID_A]);
      // The same URL again (a router re-writing it) is not a new click.
      await s.page.evaluate(() => history.replaceState({ again: true }, '', location.href));
      await s.page.evaluate((id) => history.replaceState({}, '', `/promo?twclid=${id}`), ID_B);
      await expect.poll(() => clicksSent(s)).toEqual([ID_A, ID_B]);

      // An entry made behind the script's back (the unwrapped History method), then
      // reached with the back button: only popstate can see it.
      await s.page.evaluate((id) => {
        History.prototype.pushState.call(history, {}, '', `/promo?twclid=${id}`);
        history.pushState({}, '', '/');
      }, ID_C);
      expect(clicksSent(s)).toEqual([ID_A, ID_B]);
      await s.page.goBack();
      await expect.poll(() => clicksSent(s)).toEqual([ID_A, ID_B, ID_C]);

      await s.page.evaluate(() =>
        (window as unknown as { xcapi: Xcapi }).xcapi('track', 'purchase', {
          conversion_id: 'spa-1',
          value: 5,
          currency: 'USD',
        }),
      );
      await expect.poll(() => eventsSent(s).length).toBe(1);
      expect(eventsSent(s)[0]).toMatchObject({ conversion_id: 'spa-1', twclid: ID_C });
      await expect
        .poll(async () => (await atX(fakeXUrl(), 'spa-1')).length, { timeout: 30_000 })
        .toBe(1);
      expect((await atX(fakeXUrl(), 'spa-1'))[0]?.identifiers).toContainEqual({ twclid: ID_C });
    });

    it('shares the click id between www and checkout hosts with data-cookie-domain', async () => {
      const tag = 'data-cookie-domain="shop.localhost"';
      const s = await open({
        hosts: [LANDING_HOST, CHECKOUT_HOST],
        pages: {
          '/': shopPage({ tag }),
          '/checkout': shopPage({
            tag,
            extraHead: `<script>xcapi('track', 'purchase', { conversion_id: 'two-hosts-1', value: 12, currency: 'EUR' })</script>`,
          }),
        },
      });
      await s.page.goto(`${LANDING_HOST}/?twclid=${ID_A}`);
      await s.scriptLoaded();
      await expect.poll(() => clicksSent(s)).toEqual([ID_A]);
      const shared = await s.clickCookie(CHECKOUT_HOST);
      expect(shared?.domain).toBe('.shop.localhost');
      expect(decodeURIComponent(shared?.value ?? '')).toContain(ID_A);

      await s.page.goto(`${CHECKOUT_HOST}/checkout`);
      await s.scriptLoaded();
      await expect.poll(() => eventsSent(s).length).toBe(1);
      expect(eventsSent(s)[0]).toMatchObject({ conversion_id: 'two-hosts-1', twclid: ID_A });
      expect(s.requests.find((r) => r.path === '/events')?.headers.origin).toBe(CHECKOUT_HOST);
      await expect
        .poll(async () => (await atX(fakeXUrl(), 'two-hosts-1')).length, { timeout: 30_000 })
        .toBe(1);
      expect((await atX(fakeXUrl(), 'two-hosts-1'))[0]?.identifiers).toContainEqual({
        twclid: ID_A,
      });
    });

    it('without data-cookie-domain the checkout host has no click id', async () => {
      const s = await open({
        hosts: [LANDING_HOST, CHECKOUT_HOST],
        pages: { '/': shopPage({}), '/checkout': shopPage({}) },
      });
      await s.page.goto(`${LANDING_HOST}/?twclid=${ID_A}`);
      await s.scriptLoaded();
      await expect.poll(() => clicksSent(s)).toEqual([ID_A]);
      expect(await s.clickCookie(CHECKOUT_HOST)).toBeUndefined();
      await s.page.goto(`${CHECKOUT_HOST}/checkout`);
      await s.scriptLoaded();
      await s.page.evaluate(() =>
        (window as unknown as { xcapi: Xcapi }).xcapi('track', 'lead', { email: 'a@example.com' }),
      );
      await expect.poll(() => eventsSent(s).length).toBe(1);
      expect(eventsSent(s)[0]).not.toHaveProperty('twclid');
    });

    it('one track gives one X pixel call and one conversion at X with the same conversion_id', async () => {
      const s = await open({ pages: { '/': shopPage({ extraHead: TWQ_STUB }) } });
      await s.page.goto(`/?twclid=${ID_A}`);
      await s.scriptLoaded();
      await s.page.evaluate(() =>
        (window as unknown as { xcapi: Xcapi }).xcapi('track', 'purchase', {
          email: 'ada@example.com',
          phone: '+14155550100',
          value: 42.5,
          currency: 'USD',
          contents: [
            { content_id: 'sku-1', content_name: 'Mug', content_price: 42.5, num_items: 1 },
          ],
        }),
      );
      await expect.poll(() => eventsSent(s).length).toBe(1);
      const sent = eventsSent(s)[0] ?? {};
      const conversionId = String(sent.conversion_id);
      expect(conversionId).toMatch(/^[0-9a-f-]{36}$/);

      const calls = (await s.page.evaluate(
        () => (window as unknown as { twqCalls: unknown[] }).twqCalls,
      )) as unknown[][];
      expect(calls).toEqual([
        [
          'event',
          `tw-${PIXEL}-${TEST_ACCOUNT.events.purchase}`,
          {
            value: 42.5,
            currency: 'USD',
            contents: [
              { content_id: 'sku-1', content_name: 'Mug', content_price: 42.5, num_items: 1 },
            ],
            conversion_id: conversionId,
          },
        ],
      ]);
      expect(JSON.stringify(calls)).not.toMatch(/ada@|4155550100/);

      await expect
        .poll(async () => (await atX(fakeXUrl(), conversionId)).length, { timeout: 30_000 })
        .toBe(1);
      const [atXConversion] = await atX(fakeXUrl(), conversionId);
      expect(atXConversion?.event_id).toBe(TEST_ACCOUNT.events.purchase);
      expect(atXConversion?.identifiers).toContainEqual({ twclid: ID_A });
    });

    it('data-pixel="off" leaves X\'s pixel alone; an unconfigured event never reaches it', async () => {
      const s = await open({
        pages: {
          '/': shopPage({ extraHead: TWQ_STUB, tag: 'data-pixel="off"' }),
          '/on': shopPage({ extraHead: TWQ_STUB, tag: 'data-endpoint="/noop/"' }),
          '/noop/events': 'ok',
        },
      });
      await s.page.goto('/');
      await s.scriptLoaded();
      await s.page.evaluate(() =>
        (window as unknown as { xcapi: Xcapi }).xcapi('track', 'purchase', {
          conversion_id: 'pixel-off-1',
          email: 'a@example.com',
        }),
      );
      await expect.poll(() => eventsSent(s).length).toBe(1);
      expect(
        await s.page.evaluate(() => (window as unknown as { twqCalls: unknown[] }).twqCalls),
      ).toEqual([]);

      // The rig answers /noop/* itself: an event the edge does not know would be a 400 there.
      await s.page.goto('/on');
      await s.scriptLoaded();
      await s.page.evaluate(() => {
        const { xcapi } = window as unknown as { xcapi: Xcapi };
        xcapi('track', 'not_configured', { conversion_id: 'pixel-unknown-1' });
        xcapi('track', 'lead', { conversion_id: 'pixel-known-1' });
      });
      await expect.poll(() => s.requests.filter((r) => r.path === '/noop/events').length).toBe(2);
      const calls = await s.page.evaluate(
        () => (window as unknown as { twqCalls: unknown[][] }).twqCalls,
      );
      expect(calls).toEqual([
        ['event', `tw-${PIXEL}-${TEST_ACCOUNT.events.lead}`, { conversion_id: 'pixel-known-1' }],
      ]);
    });

    it('GA4 dataLayer pushes from before and after the bridge loads reach X as the mapped conversions', async () => {
      const before = `<script>
      window.dataLayer = window.dataLayer || [];
      dataLayer.push({ event: 'gtm.js', 'gtm.start': Date.now() });
      dataLayer.push({ ecommerce: null });
      dataLayer.push({ event: 'purchase', ecommerce: { transaction_id: 'ga4-order-1', value: 30.5, currency: 'EUR',
        items: [{ item_id: 'SKU-1', item_name: 'Mug', price: 15.25, quantity: 2 }] } });
      dataLayer.push({ event: 'view_item', ecommerce: { items: [{ item_id: 'SKU-1' }] } });
    </script>`;
      const s = await open({
        pages: {
          '/': shopPage({
            extraHead: `${before}<script async src="/xcapi-datalayer.js" data-datalayer></script>`,
          }),
        },
      });
      await s.page.goto(`/?twclid=${ID_B}`);
      await s.scriptLoaded();
      await s.page.waitForFunction(
        () =>
          (window as unknown as { dataLayer: unknown[] }).dataLayer.push !== Array.prototype.push,
      );
      await s.page.evaluate(() => {
        const w = window as unknown as { dataLayer: unknown[] };
        function gtag(..._: unknown[]) {
          // biome-ignore lint/complexity/noArguments: gtag pushes its arguments object
          w.dataLayer.push(arguments);
        }
        gtag('event', 'generate_lead', { transaction_id: 'ga4-lead-1', value: 1, currency: 'EUR' });
        // Mapped by default, but the edge has no add_to_cart event: skipped, not refused.
        w.dataLayer.push({ event: 'add_to_cart', ecommerce: { transaction_id: 'ga4-cart-1' } });
        gtag('event', 'sign_up', { method: 'email' });
      });
      await expect.poll(() => eventsSent(s).length).toBe(3);
      expect(eventsSent(s).map((e) => [e.event, e.twclid])).toEqual([
        ['purchase', ID_B],
        ['lead', ID_B],
        ['signup', ID_B],
      ]);
      expect(eventsSent(s)[0]).toMatchObject({
        conversion_id: 'ga4-order-1',
        value: 30.5,
        currency: 'EUR',
        contents: [
          { content_id: 'SKU-1', content_name: 'Mug', content_price: 15.25, num_items: 2 },
        ],
      });
      expect(s.requests.filter((r) => r.path === '/events').map((r) => r.status)).toEqual([
        202, 202, 202,
      ]);

      await expect
        .poll(async () => (await atX(fakeXUrl(), 'ga4-order-1')).length, { timeout: 30_000 })
        .toBe(1);
      await expect
        .poll(async () => (await atX(fakeXUrl(), 'ga4-lead-1')).length, { timeout: 30_000 })
        .toBe(1);
      const [purchase] = await atX(fakeXUrl(), 'ga4-order-1');
      const [lead] = await atX(fakeXUrl(), 'ga4-lead-1');
      expect(purchase?.event_id).toBe(TEST_ACCOUNT.events.purchase);
      expect(purchase?.identifiers).toContainEqual({ twclid: ID_B });
      expect(lead?.event_id).toBe(TEST_ACCOUNT.events.lead);
    });
  },
);
