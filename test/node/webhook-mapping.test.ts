/**
 * The shops' payloads (saved in their published shapes, test/fixtures/webhooks)
 * through the webhook mappings and then ingest's own `validateEvent`, in plain
 * Node: the same pure modules the edge routes and the CLI's replay use. Each
 * conversion is also checked against the fake X's rules.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decimalFromMinorUnits } from '../../edge/ingest/decimal-amount.ts';
import { validateEvent } from '../../edge/ingest/validate-event.ts';
import { shopifyVerdict } from '../../edge/webhooks/shopify-order.ts';
import { stripeMinorUnits, stripeVerdict } from '../../edge/webhooks/stripe-checkout.ts';
import { CANNOT_RETRACT, type WebhookVerdict } from '../../edge/webhooks/webhook-event.ts';
import { woocommerceVerdict } from '../../edge/webhooks/woocommerce-order.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { checkConversionRequest } from '../fake-x/validate-conversions.ts';
import shopifyOrder from '../fixtures/webhooks/shopify-order.json' with { type: 'json' };
import stripeEvent from '../fixtures/webhooks/stripe-checkout-session-completed.json' with {
  type: 'json',
};
import wooOrder from '../fixtures/webhooks/woocommerce-order.json' with { type: 'json' };

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const RULES = { events: TEST_ACCOUNT.events, phoneDefaultCountry: 'US', maxConversionAgeDays: 90 };
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const copy = <T>(value: T): T => structuredClone(value);

/** The conversion X would get from a verdict, through ingest as a server call. */
async function conversionOf(verdict: WebhookVerdict) {
  if (verdict.kind !== 'conversion') throw new Error(`no conversion: ${JSON.stringify(verdict)}`);
  const outcome = await validateEvent(verdict.event, { rules: RULES, caller: 'server', now: NOW });
  if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome.errors)}`);
  const check = checkConversionRequest(
    { conversions: [outcome.conversion] },
    TEST_ACCOUNT.pixelId,
    new Set(Object.values(TEST_ACCOUNT.events)),
  );
  expect(check).toMatchObject({ ok: true });
  return { ...outcome.conversion, warnings: outcome.warnings.map((w) => w.parameter) };
}

describe('Shopify orders', () => {
  it('maps an order: order id, cart-attribute click id, hashed email and phone, exact total and lines', async () => {
    const conversion = await conversionOf(shopifyVerdict('orders/paid', shopifyOrder, 'purchase'));
    expect(conversion).toEqual({
      conversion_time: '2026-11-30T09:15:02.000Z',
      event_id: TEST_ACCOUNT.events.purchase,
      conversion_id: '6104372981234',
      identifiers: [
        { twclid: TWCLID },
        { hashed_email: sha256('ada.lovelace@example.com') },
        { hashed_phone_number: sha256('+442079460018') },
        {
          ip_address: '198.51.100.23',
          user_agent: shopifyOrder.client_details.user_agent,
        },
      ],
      value: '58.40',
      price_currency: 'EUR',
      number_items: 3,
      contents: [
        {
          content_id: 'WDO-S',
          content_name: 'Walnut desk organiser',
          num_items: 2,
          content_price: 19.2,
        },
        {
          content_id: '8801234567891',
          content_name: 'Brass pen tray',
          num_items: 1,
          content_price: 14,
        },
      ],
      warnings: [],
    });
  });

  it('orders/create and orders/paid make the same conversion id', () => {
    const created = shopifyVerdict('orders/create', shopifyOrder, 'purchase');
    const paid = shopifyVerdict('orders/paid', shopifyOrder, 'purchase');
    expect(created).toEqual(paid);
  });

  it('takes the id from admin_graphql_api_id, which JSON numbers beyond 2^53 cannot carry', () => {
    const order = JSON.parse(
      JSON.stringify(shopifyOrder)
        .replace('"id":6104372981234', '"id":820982911946154508')
        .replace('Order/6104372981234', 'Order/820982911946154508'),
    );
    expect(order.id).not.toBe(820982911946154508n.toString());
    const verdict = shopifyVerdict('orders/paid', order, 'purchase');
    expect(verdict).toMatchObject({ event: { conversion_id: '820982911946154508' } });
  });

  it('falls back to the landing page click id, contact_email and the billing phone', async () => {
    const order = copy(shopifyOrder) as Record<string, unknown>;
    order.note_attributes = [];
    order.email = null;
    order.contact_email = 'grace@example.com';
    const conversion = await conversionOf(shopifyVerdict('orders/create', order, 'purchase'));
    expect(conversion.identifiers.slice(0, 2)).toEqual([
      { twclid: '2b7xq9lm4c0v8s1r5t3n6p2k9d' },
      { hashed_email: sha256('grace@example.com') },
    ]);
  });

  it('a test order is skipped (counted, not sent); other topics and refunds are acknowledged', () => {
    expect(shopifyVerdict('orders/paid', { ...shopifyOrder, test: true }, 'purchase')).toEqual({
      kind: 'skipped',
      reason: 'test_order',
      conversionId: '6104372981234',
    });
    expect(shopifyVerdict('refunds/create', {}, 'purchase')).toEqual({
      kind: 'ignored',
      reason: CANNOT_RETRACT,
    });
    expect(shopifyVerdict('orders/cancelled', shopifyOrder, 'purchase')).toMatchObject({
      kind: 'ignored',
      reason: CANNOT_RETRACT,
    });
    expect(shopifyVerdict('products/update', {}, 'purchase')).toMatchObject({ kind: 'ignored' });
    expect(shopifyVerdict(undefined, shopifyOrder, 'purchase')).toMatchObject({ kind: 'ignored' });
  });

  it('a purchase topic whose body is no order is a shape error naming the field', () => {
    expect(() => shopifyVerdict('orders/paid', [], 'purchase')).toThrow('not a Shopify order');
    expect(() => shopifyVerdict('orders/paid', { email: 'a@b.example' }, 'purchase')).toThrow(
      expect.objectContaining({ parameter: 'id' }),
    );
  });

  it('a click id stored as the whole _twclid cookie value is read in the pixel form', () => {
    const cookie = encodeURIComponent(JSON.stringify({ twclid: TWCLID, timestamp: NOW }));
    const order = { ...copy(shopifyOrder), note_attributes: [{ name: 'twclid', value: cookie }] };
    expect(shopifyVerdict('orders/paid', order, 'purchase')).toMatchObject({
      event: { twclid: TWCLID },
    });
  });

  it('uses the event the setting names', () => {
    expect(shopifyVerdict('orders/paid', shopifyOrder, 'sign_up')).toMatchObject({
      event: { event: 'sign_up' },
    });
  });
});

describe('Stripe Checkout', () => {
  const withSession = (session: Record<string, unknown>, type = 'checkout.session.completed') => {
    const event = copy(stripeEvent) as { type: string; data: { object: Record<string, unknown> } };
    event.type = type;
    Object.assign(event.data.object, session);
    return event;
  };

  it('maps a paid session: metadata conversion id and click id, customer details, minor units', async () => {
    const conversion = await conversionOf(stripeVerdict(stripeEvent, 'purchase'));
    expect(conversion).toEqual({
      conversion_time: new Date(stripeEvent.created * 1000).toISOString(),
      event_id: TEST_ACCOUNT.events.purchase,
      conversion_id: 'order-5521',
      identifiers: [
        { twclid: TWCLID },
        { hashed_email: sha256('grace.hopper@example.com') },
        { hashed_phone_number: sha256('+14155550142') },
      ],
      value: '20.00',
      price_currency: 'USD',
      warnings: [],
    });
  });

  it.each([
    ['jpy', 1500, '1500'],
    ['kwd', 12345, '12.345'],
    ['usd', 2000, '20.00'],
    ['eur', 5, '0.05'],
    // Stripe counts ISK in two decimals (always 00) and MGA in none; X gets ISO's decimals.
    ['isk', 150000, '1500'],
    ['mga', 1000, '1000.00'],
  ])('%s %d is %s at X', async (currency, amount, value) => {
    const conversion = await conversionOf(
      stripeVerdict(withSession({ currency, amount_total: amount }), 'purchase'),
    );
    expect(conversion.value).toBe(value);
    expect(conversion.price_currency).toBe(currency.toUpperCase());
  });

  it('moves the point without floats', () => {
    expect(decimalFromMinorUnits(123456789012345, 2)).toBe('1234567890123.45');
    expect(decimalFromMinorUnits(7, 3)).toBe('0.007');
    expect(decimalFromMinorUnits(-1, 2)).toBeUndefined();
    expect(decimalFromMinorUnits(1.5, 2)).toBeUndefined();
    expect(stripeMinorUnits('JPY')).toBe(0);
    expect(stripeMinorUnits('BHD')).toBe(3);
  });

  it('an unpaid session waits for async_payment_succeeded, which makes the same conversion', () => {
    const unpaid = withSession({ payment_status: 'unpaid', metadata: {} });
    expect(stripeVerdict(unpaid, 'purchase')).toMatchObject({ kind: 'ignored' });
    const succeeded = withSession(
      { payment_status: 'paid', metadata: {} },
      'checkout.session.async_payment_succeeded',
    );
    const id = (stripeEvent.data.object.id as string).slice(-64);
    expect(stripeVerdict(succeeded, 'purchase')).toMatchObject({
      kind: 'conversion',
      event: { conversion_id: id },
    });
    expect(
      stripeVerdict(withSession({ payment_status: 'no_payment_required' }), 'purchase'),
    ).toMatchObject({ kind: 'conversion' });
  });

  it('without metadata: the session id, and client_reference_id only when it looks like a click id', () => {
    const short = withSession({ id: 'cs_test_short1', metadata: {}, client_reference_id: TWCLID });
    expect(stripeVerdict(short, 'purchase')).toMatchObject({
      event: { conversion_id: 'cs_test_short1', twclid: TWCLID },
    });
    const orderRef = withSession({ metadata: {}, client_reference_id: 'order-77' });
    const verdict = stripeVerdict(orderRef, 'purchase');
    expect(verdict).toMatchObject({ kind: 'conversion' });
    expect(verdict.kind === 'conversion' && verdict.event.twclid).toBeUndefined();
    const digits = withSession({ metadata: {}, client_reference_id: '123456789012345678901' });
    const numeric = stripeVerdict(digits, 'purchase');
    expect(numeric.kind === 'conversion' && numeric.event.twclid).toBeUndefined();
  });

  it('refunds, expiries and failed payments are acknowledged without a conversion', () => {
    expect(stripeVerdict({ type: 'charge.refunded', data: { object: {} } }, 'purchase')).toEqual({
      kind: 'ignored',
      reason: CANNOT_RETRACT,
    });
    for (const type of ['checkout.session.expired', 'checkout.session.async_payment_failed']) {
      expect(stripeVerdict(withSession({}, type), 'purchase')).toMatchObject({ kind: 'ignored' });
    }
    expect(() =>
      stripeVerdict({ type: 'checkout.session.completed', data: {} }, 'purchase'),
    ).toThrow('no Checkout Session');
  });
});

describe('WooCommerce orders', () => {
  it('maps a processing order: id, cookie-form meta click id, billing, KWD to the fils', async () => {
    const conversion = await conversionOf(
      woocommerceVerdict('order.created', wooOrder, 'purchase'),
    );
    expect(conversion).toEqual({
      conversion_time: '2026-11-30T09:40:13.000Z',
      event_id: TEST_ACCOUNT.events.purchase,
      conversion_id: '727',
      identifiers: [
        { twclid: TWCLID },
        { hashed_email: sha256('k.johnson@example.org') },
        { hashed_phone_number: sha256('+96522223333') },
        { ip_address: '2001:db8:85a3::8a2e:370:7334', user_agent: wooOrder.customer_user_agent },
      ],
      value: '12.345',
      price_currency: 'KWD',
      number_items: 3,
      contents: [
        {
          content_id: 'CC-250',
          content_name: 'Cardamom coffee, 250 g',
          num_items: 3,
          content_price: 3.615,
        },
      ],
      warnings: [],
    });
  });

  it('only processing and completed orders are purchases; the same order id each time', () => {
    for (const status of ['pending', 'on-hold', 'failed', 'draft']) {
      expect(
        woocommerceVerdict('order.updated', { ...wooOrder, status }, 'purchase'),
      ).toMatchObject({ kind: 'ignored' });
    }
    for (const status of ['cancelled', 'refunded']) {
      expect(woocommerceVerdict('order.updated', { ...wooOrder, status }, 'purchase')).toEqual({
        kind: 'ignored',
        reason: CANNOT_RETRACT,
      });
    }
    expect(
      woocommerceVerdict('order.updated', { ...wooOrder, status: 'completed' }, 'purchase'),
    ).toEqual(woocommerceVerdict('order.created', wooOrder, 'purchase'));
    expect(woocommerceVerdict('order.deleted', wooOrder, 'purchase')).toMatchObject({
      kind: 'ignored',
    });
  });

  it('a line price that is not exact in the currency is left out, not the order', async () => {
    const order = copy(wooOrder);
    order.currency = 'USD';
    order.total = '20.00';
    order.line_items[0] = { ...order.line_items[0], price: 6.666666666666667 } as never;
    const conversion = await conversionOf(woocommerceVerdict('order.created', order, 'purchase'));
    expect(conversion.contents).toEqual([
      { content_id: 'CC-250', content_name: 'Cardamom coffee, 250 g', num_items: 3 },
    ]);
  });

  it('a bad click id in meta goes to ingest, which drops it with a warning', async () => {
    const order = copy(wooOrder);
    order.meta_data = [{ id: 1, key: 'twclid', value: 'not a click id!' }];
    const conversion = await conversionOf(woocommerceVerdict('order.created', order, 'purchase'));
    expect(conversion.identifiers[0]).toEqual({ hashed_email: sha256('k.johnson@example.org') });
    expect(conversion.warnings).toEqual(['twclid']);
  });
});
