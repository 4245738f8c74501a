/**
 * @module
 * The purchase beacon the benchmarks and end-to-end tests send: what `dist/xcapi.js` sends for
 * `xcapi('track', 'purchase', {...})` on a shop page after an ad click, i.e. a
 * `navigator.sendBeacon` POST of `text/plain` JSON from an allowed origin.
 */
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';

/** The shop's origin: the browser benches' landing page, and what the benchmark edge allows (its `ALLOWED_ORIGINS`). */
export const SHOP_ORIGIN = 'https://shop.example';

/** Marker autocannon replaces with a fresh id per request (`idReplacement`). */
const FRESH_ID = '[<id>]';

/**
 * One purchase beacon. `conversion_id` is unique per request (autocannon
 * fills in `[<id>]`), as order ids are, so no deduplication can short-cut
 * the work; email casing and spaces make normalization do real work.
 */
export const PURCHASE_BEACON_BODY = JSON.stringify({
  event: 'purchase',
  email: ' Jane.Doe@Example.COM ',
  value: 49.9,
  currency: 'EUR',
  number_items: 2,
  conversion_id: `order-${FRESH_ID}`,
  twclid: '26al4tn7x9n5o40h6sd2ds3kbt',
});

/** Headers a Chromium beacon carries that the edge looks at. */
export const PURCHASE_BEACON_HEADERS: Record<string, string> = {
  'content-type': 'text/plain;charset=UTF-8',
  origin: SHOP_ORIGIN,
  referer: `${SHOP_ORIGIN}/checkout/thanks`,
  'user-agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};

/**
 * Variables that configure the real edge against the fake X account, the
 * same ones the edge test project uses (vitest.config.ts).
 *
 * @example
 * const vars = edgeVarsFor('http://127.0.0.1:40123');
 * vars.X_API_BASE_URL; // 'http://127.0.0.1:40123'
 */
export function edgeVarsFor(fakeXUrl: string): Record<string, string> {
  return {
    X_API_BASE_URL: fakeXUrl,
    X_PIXEL_ID: TEST_ACCOUNT.pixelId,
    X_EVENTS: JSON.stringify(TEST_ACCOUNT.events),
    ALLOWED_ORIGINS: SHOP_ORIGIN,
    X_CONSUMER_KEY: TEST_ACCOUNT.consumerKey,
    X_CONSUMER_SECRET: TEST_ACCOUNT.consumerSecret,
    X_ACCESS_TOKEN: TEST_ACCOUNT.accessToken,
    X_ACCESS_TOKEN_SECRET: TEST_ACCOUNT.accessTokenSecret,
    SERVER_KEY: TEST_ACCOUNT.serverKey,
    QUEUE_SEAL_KEY: TEST_ACCOUNT.queueSealKey,
    // Delivery counts are read right after the load: browser copies go at once.
    BROWSER_HOLD_SECONDS: '0',
  };
}
