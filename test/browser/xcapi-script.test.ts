/**
 * The built dist/xcapi.js in Chromium, served by the running edge Worker on
 * `https://shop.example`, delivering to the fake X API (see ./shop.ts).
 * Every test also asserts the page logged no error and threw nothing.
 */
import { createHash } from 'node:crypto';
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

const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
/** The X pixel's cookie form, as the edge writes it: URI-encoded `{"twclid":..,"timestamp":ms}`. */
const PIXEL_FORM = new RegExp(`^%7B%22twclid%22%3A%22${TWCLID}%22%2C%22timestamp%22%3A\\d{13}%7D$`);
/** The same JSON as js-cookie encodes it in the script (`{`, `}` and `:` may stay as they are). */
const SCRIPT_FORM = new RegExp(`^\\{%22twclid%22:%22${TWCLID}%22%2C%22timestamp%22:\\d{13}\\}$`);
const DAY_S = 86400;

const LANDING = shopPage({ body: '<h1>Spring sale</h1>' });
/** A page without the script, where a form lands. */
const THANKS = '<!doctype html><title>thanks</title><p>Thank you</p>';

/** Lands on `/?twclid=` and waits for the edge's answer to `POST /click`. */
async function land(s: Shop): Promise<void> {
  await s.page.goto(`/?twclid=${TWCLID}`);
  await s.scriptLoaded();
  await expect.poll(() => requestsTo(s, '/click')[0]?.status).toBe(204);
}

describe.skipIf(!browserTestsEnabled())('the browser script in Chromium', () => {
  const { open, fakeXUrl } = useRig();

  it('keeps ?twclid= in the cookie, and the edge sets it too in the pixel form', async () => {
    const s = await open({ pages: { '/': LANDING } });
    await s.page.goto(`/?twclid=${TWCLID}&utm_source=x`);
    await s.scriptLoaded();
    await expect.poll(() => requestsTo(s, '/click')[0]?.status).toBe(204);

    const [click] = requestsTo(s, '/click');
    expect(click?.method).toBe('POST');
    expect(JSON.parse(click?.body ?? '')).toEqual({ twclid: TWCLID });
    expect(click?.headers.origin).toBe('https://shop.example');
    // The edge's HTTP cookie: not capped by Safari like a script-written one.
    expect(click?.setCookie).toHaveLength(1);
    const [value, ...attributes] = (click?.setCookie[0] ?? '').split('; ');
    expect(value?.replace(/^_twclid=/, '')).toMatch(PIXEL_FORM);
    // Attribute order is the cookie library's business.
    expect(attributes.sort()).toEqual([
      `Max-Age=${30 * DAY_S}`,
      'Path=/',
      'SameSite=Lax',
      'Secure',
    ]);

    const cookie = await s.clickCookie();
    expect(cookie?.value).toMatch(PIXEL_FORM);
    expect(JSON.parse(decodeURIComponent(cookie?.value ?? '')).twclid).toBe(TWCLID);
    expect(cookie?.secure).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    const daysLeft = ((cookie?.expires ?? 0) - Date.now() / 1000) / DAY_S;
    expect(daysLeft).toBeGreaterThan(29.9);
    expect(daysLeft).toBeLessThanOrEqual(30);

    expect(await s.sent()).toEqual(['beacon /click']);
  });

  it('writes the cookie itself (the edge answers nothing here), after consent too', async () => {
    // The rig answers /noop/* itself, without a cookie: what is left is the script's own.
    const s = await open({
      pages: {
        '/': shopPage({ tag: 'data-consent="pending" data-endpoint="/noop/"' }),
        '/noop/click': 'ok',
      },
    });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    expect(await s.clickCookie()).toBeUndefined();
    await s.page.evaluate(() =>
      (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi('consent', true),
    );
    await expect.poll(async () => (await s.clickCookie())?.value).toMatch(SCRIPT_FORM);
    expect(JSON.parse(decodeURIComponent((await s.clickCookie())?.value ?? '')).twclid).toBe(
      TWCLID,
    );
    await expect.poll(() => requestsTo(s, '/noop/click')[0]?.status).toBe(200);
  });

  it('sends a later purchase with the stored click id; X gets one conversion, email hashed', async () => {
    const orderId = `order-${Date.now()}`;
    const checkout = shopPage({
      extraHead: `<script>xcapi('track', 'purchase', { email: ' Ada.Lovelace@Example.COM ', value: 42.5, currency: 'USD', conversion_id: '${orderId}' })</script>`,
    });
    const s = await open({ pages: { '/': LANDING, '/checkout': checkout } });
    await land(s);
    await s.page.goto('/checkout');
    await s.scriptLoaded();

    await expect.poll(() => eventsSent(s).length).toBe(1);
    expect(eventsSent(s)[0]).toEqual({
      event: 'purchase',
      email: ' Ada.Lovelace@Example.COM ',
      value: 42.5,
      currency: 'USD',
      conversion_id: orderId,
      twclid: TWCLID,
    });
    const [events] = requestsTo(s, '/events');
    expect(events?.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(events?.headers.cookie).toContain('_twclid=');
    expect(events?.status).toBe(202);
    expect(await s.sent()).toEqual(['beacon /events']);

    const fakeX = fakeXControl(fakeXUrl());
    const mine = async () =>
      (await fakeX.received(TEST_ACCOUNT.pixelId)).conversions.filter(
        (c) => c.conversion_id === orderId,
      );
    await expect.poll(async () => (await mine()).length, { timeout: 30_000 }).toBe(1);
    const [conversion] = await mine();
    const hashedEmail = createHash('sha256').update('ada.lovelace@example.com').digest('hex');
    expect(conversion?.event_id).toBe(TEST_ACCOUNT.events.purchase);
    expect(conversion?.identifiers).toContainEqual({ twclid: TWCLID });
    expect(conversion?.identifiers).toContainEqual({ hashed_email: hashedEmail });
    expect(JSON.stringify(conversion)).not.toContain('Lovelace');
  });

  it('reports a data-xcapi-event form on submit, adds the twclid input, and lets it submit', async () => {
    const signup = shopPage({
      body: `<form data-xcapi-event="lead" method="post" action="/thanks">
        <input type="email" name="contact" value="ada@example.com">
        <input name="phone" value="+1 415 555 0100">
        <button id="go">Sign up</button></form>`,
    });
    const s = await open({
      pages: { '/': LANDING, '/signup': signup, '/thanks': THANKS },
    });
    await land(s);
    await s.page.goto('/signup');
    await s.scriptLoaded();
    await s.page.click('#go');
    await s.page.waitForURL('**/thanks');

    const thanks = requestsTo(s, '/thanks')[0];
    expect(thanks?.method).toBe('POST');
    expect(new URLSearchParams(thanks?.body).get('twclid')).toBe(TWCLID);
    expect(new URLSearchParams(thanks?.body).get('contact')).toBe('ada@example.com');

    await expect.poll(() => eventsSent(s).length).toBe(1);
    expect(eventsSent(s)[0]).toMatchObject({
      event: 'lead',
      email: 'ada@example.com',
      phone: '+1 415 555 0100',
      twclid: TWCLID,
    });
    expect(eventsSent(s)[0]?.conversion_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stores and sends nothing under Global Privacy Control', async () => {
    const page = shopPage({
      extraHead: `<script>xcapi('track', 'purchase', { conversion_id: 'gpc-1' })</script>`,
      body: `<form data-xcapi-event="lead" action="/thanks"><input type="email" name="email" value="a@b.co"><button id="go">go</button></form>`,
    });
    const s = await open({ gpc: true, pages: { '/': page, '/thanks': THANKS } });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await s.page.evaluate(() =>
      (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi('track', 'lead', {}),
    );
    await s.page.click('#go');
    await s.page.waitForURL('**/thanks?email=*');

    expect(s.page.url()).not.toContain('twclid');
    expect(await s.clickCookie()).toBeUndefined();
    expect(s.requests.map((r) => r.path.split('?')[0])).toEqual(['/', '/xcapi.js', '/thanks']);
  });

  it('with data-consent="pending" holds everything until consent, then sends in order', async () => {
    const page = shopPage({
      tag: 'data-consent="pending"',
      extraHead: `<script>xcapi('track', 'lead', { conversion_id: 'held-1' })</script>`,
    });
    const s = await open({ pages: { '/': page } });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await s.page.evaluate(() =>
      (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi('track', 'signup', {
        conversion_id: 'held-2',
      }),
    );
    expect(await s.clickCookie()).toBeUndefined();
    expect(await s.sent()).toEqual([]);

    await s.page.evaluate(() =>
      (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi('consent', true),
    );
    await expect.poll(() => eventsSent(s).length).toBe(2);
    expect(eventsSent(s).map((e) => e.conversion_id)).toEqual(['held-1', 'held-2']);
    expect(eventsSent(s).every((e) => e.twclid === TWCLID)).toBe(true);
    await expect.poll(() => requestsTo(s, '/click')[0]?.status).toBe(204);
    expect((await s.clickCookie())?.value).toMatch(PIXEL_FORM);
    // The held calls go at once; the click id is stored and sent in the next task.
    expect(await s.sent()).toEqual(['beacon /events', 'beacon /events', 'beacon /click']);
  });

  it("xcapi('consent', false) deletes the cookie (the edge's too) and stops sending", async () => {
    const s = await open({ pages: { '/': LANDING } });
    await land(s);
    expect(await s.clickCookie()).toBeDefined();
    await s.page.evaluate(() => {
      const xcapi = (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi;
      xcapi('consent', false);
      xcapi('track', 'purchase', { conversion_id: 'after-withdrawal' });
    });
    expect(await s.clickCookie()).toBeUndefined();
    expect(await s.sent()).toEqual(['beacon /click']);
  });

  it('works without throwing when cookies and localStorage throw', async () => {
    const s = await open({ blockStorage: true, pages: { '/': LANDING } });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await s.page.evaluate(() =>
      (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi('track', 'lead', {
        conversion_id: 'blocked-1',
      }),
    );
    // Nothing could be stored, but this page view still knows its click id.
    await expect.poll(() => eventsSent(s).length).toBe(1);
    expect(eventsSent(s)[0]).toMatchObject({ conversion_id: 'blocked-1', twclid: TWCLID });
    await expect.poll(() => requestsTo(s, '/click')[0]?.status).toBe(204);
  });

  it('replays calls queued before the script loaded, in order', async () => {
    const page = shopPage({
      extraHead: `<script>
        xcapi('track', 'signup', { conversion_id: 'q-1', email: 'q@example.com' });
        xcapi('bogus-command');
        xcapi('track', 'lead', { conversion_id: 'q-2', email: 'q@example.com' });
        xcapi('track', 'purchase', { conversion_id: 'q-3', email: 'q@example.com', value: 1, currency: 'EUR' });
      </script>`,
    });
    const s = await open({ pages: { '/': page } });
    await s.page.goto('/');
    await s.scriptLoaded();
    await expect.poll(() => eventsSent(s).length).toBe(3);
    expect(eventsSent(s).map((e) => [e.event, e.conversion_id])).toEqual([
      ['signup', 'q-1'],
      ['lead', 'q-2'],
      ['purchase', 'q-3'],
    ]);
    // No click id anywhere: none is invented (the email is the identifier here).
    expect(eventsSent(s).some((e) => 'twclid' in e)).toBe(false);
    expect(requestsTo(s, '/events').map((r) => r.status)).toEqual([202, 202, 202]);
  });

  it('runs once when the tag is on the page twice', async () => {
    const page = shopPage({
      // A script's load event fires after it ran: the test waits for both copies.
      extraHead: `<script async src="/xcapi.js?copy=2" onload="window.secondRan = true"></script>
        <script>xcapi('track', 'lead', { conversion_id: 'twice-1', email: 'q@example.com' })</script>`,
      body: `<form data-xcapi-event="signup" action="/thanks"><input name="email" value="q@example.com"><button id="go">go</button></form>`,
    });
    const s = await open({ pages: { '/': page, '/thanks': THANKS } });
    await s.page.goto('/');
    await s.scriptLoaded();
    await s.page.waitForFunction(() => (window as { secondRan?: boolean }).secondRan === true);
    await s.page.click('#go');
    await s.page.waitForURL('**/thanks?email=*');
    await expect.poll(() => eventsSent(s).length).toBe(2);
    expect(eventsSent(s).map((e) => e.event)).toEqual(['lead', 'signup']);
  });

  it('honours data-endpoint and data-cookie-days', async () => {
    // The rig answers /noop/* itself (200, no cookie), so the cookie left is the script's own.
    const page = shopPage({ tag: 'data-endpoint="/noop/" data-cookie-days="7"' });
    const s = await open({ pages: { '/': page, '/noop/click': 'ok', '/noop/events': 'ok' } });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await expect.poll(() => requestsTo(s, '/noop/click')[0]?.status).toBe(200);
    expect(JSON.parse(requestsTo(s, '/noop/click')[0]?.body ?? '')).toEqual({ twclid: TWCLID });
    const cookie = await s.clickCookie();
    expect(cookie?.value).toMatch(SCRIPT_FORM);
    const daysLeft = ((cookie?.expires ?? 0) - Date.now() / 1000) / DAY_S;
    expect(daysLeft).toBeGreaterThan(6.9);
    expect(daysLeft).toBeLessThanOrEqual(7);

    await s.page.evaluate(() =>
      (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi('track', 'lead', {}),
    );
    await expect.poll(() => requestsTo(s, '/noop/events').length).toBe(1);
    expect(JSON.parse(requestsTo(s, '/noop/events')[0]?.body ?? '')).toMatchObject({
      event: 'lead',
      twclid: TWCLID,
    });
    expect(requestsTo(s, '/click')).toEqual([]);
    expect(await s.sent()).toEqual(['beacon /noop/click', 'beacon /noop/events']);
  });

  it('without sendBeacon sends nothing and throws nothing (no fetch fallback)', async () => {
    const s = await open({
      initScript: 'navigator.sendBeacon = undefined;',
      pages: { '/': LANDING },
    });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await s.page.evaluate(() =>
      (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi('track', 'lead', {
        conversion_id: 'no-beacon-1',
      }),
    );
    // The script still keeps the click id itself.
    await expect.poll(async () => (await s.clickCookie())?.value).toMatch(SCRIPT_FORM);
    expect(await s.sent()).toEqual([]);
    expect(s.requests.map((r) => r.path.split('?')[0])).toEqual(['/', '/xcapi.js']);
  });

  it('keeps beacons under the 64 KiB quota: drops contents first, then refuses', async () => {
    const s = await open({ pages: { '/': LANDING } });
    await land(s);
    await s.page.evaluate(() => {
      const xcapi = (window as unknown as { xcapi: (...a: unknown[]) => void }).xcapi;
      const contents = Array.from({ length: 2000 }, (_, i) => ({
        content_id: `sku-${i}`,
        content_name: 'A rather long product name to fill the payload',
      }));
      xcapi('track', 'purchase', { conversion_id: 'big-1', value: 1, currency: 'USD', contents });
      xcapi('track', 'purchase', { conversion_id: 'huge-1', description: 'x'.repeat(70_000) });
      xcapi('track', 'lead', { conversion_id: 'small-1' });
    });
    await expect.poll(() => eventsSent(s).length).toBe(2);
    expect(eventsSent(s).map((e) => e.conversion_id)).toEqual(['big-1', 'small-1']);
    expect(eventsSent(s)[0]).not.toHaveProperty('contents');
    expect(eventsSent(s)[0]).toMatchObject({ value: 1, currency: 'USD', twclid: TWCLID });
    expect((await s.sent()).filter((call) => call.endsWith('/events'))).toHaveLength(2);
  });
});
