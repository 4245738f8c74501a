import { afterEach, describe, expect, it, vi } from 'vitest';
import { GA4_EVENTS, ga4Conversion, ga4EventMap, watchDataLayer } from './data-layer.ts';

const PURCHASE = {
  event: 'purchase',
  ecommerce: {
    transaction_id: 'T-1001',
    value: 59.9,
    currency: 'EUR',
    items: [
      { item_id: 'SKU-1', item_name: 'Mug', price: 19.95, quantity: 2, item_brand: 'Acme' },
      { item_id: 77, item_name: 'Tea', price: 20 },
    ],
  },
};

describe('ga4EventMap', () => {
  it('is the default map for an empty attribute', () => {
    expect(ga4EventMap('')).toEqual(GA4_EVENTS);
    expect(GA4_EVENTS).toEqual({
      purchase: 'purchase',
      generate_lead: 'lead',
      sign_up: 'signup',
      add_to_cart: 'add_to_cart',
      begin_checkout: 'begin_checkout',
    });
  });

  it('changes, adds and drops events with ga4_name:event_name pairs', () => {
    expect(ga4EventMap(' generate_lead:contact , add_to_cart: ,view_item:view')).toEqual({
      purchase: 'purchase',
      generate_lead: 'contact',
      sign_up: 'signup',
      add_to_cart: '',
      begin_checkout: 'begin_checkout',
      view_item: 'view',
    });
  });
});

describe('ga4Conversion', () => {
  it('maps a GTM ecommerce push: transaction_id, value, currency, items', () => {
    expect(ga4Conversion(PURCHASE, GA4_EVENTS)).toEqual([
      'purchase',
      {
        conversion_id: 'T-1001',
        value: 59.9,
        currency: 'EUR',
        contents: [
          { content_id: 'SKU-1', content_name: 'Mug', content_price: 19.95, num_items: 2 },
          { content_id: '77', content_name: 'Tea', content_price: 20, num_items: undefined },
        ],
      },
    ]);
  });

  it("maps gtag's pushed arguments the same way", () => {
    const args = (function (..._: unknown[]) {
      // biome-ignore lint/complexity/noArguments: gtag pushes its arguments object
      return arguments;
    })('event', 'generate_lead', { value: 5, currency: 'USD' });
    expect(ga4Conversion(args, GA4_EVENTS)).toEqual(['lead', { value: 5, currency: 'USD' }]);
  });

  it('maps an event without ecommerce data to a bare conversion', () => {
    expect(ga4Conversion({ event: 'sign_up' }, GA4_EVENTS)).toEqual([
      'signup',
      { value: undefined, currency: undefined },
    ]);
  });

  it.each([
    ['an unmapped event', { event: 'view_item', ecommerce: { value: 1 } }],
    ['a dropped event', { event: 'add_to_cart' }],
    ['an inherited name', { event: 'constructor' }],
    ['a GTM internal event', { event: 'gtm.js', 'gtm.start': 1 }],
    ['a non-event push', { ecommerce: null }],
    ['gtag config', ['config', 'G-XXXX']],
    ['nothing', undefined],
    ['a string', 'purchase'],
  ])('ignores %s', (_, entry) => {
    expect(ga4Conversion(entry, ga4EventMap('add_to_cart:'))).toBeUndefined();
  });
});

describe('watchDataLayer', () => {
  afterEach(() => {
    delete (globalThis as { dataLayer?: unknown }).dataLayer;
  });

  it('takes pushes made before and after, keeps the original push, and skips unknown events', () => {
    const original = vi.fn(Array.prototype.push);
    const layer: unknown[] = [PURCHASE, { event: 'sign_up' }];
    layer.push = original;
    (globalThis as { dataLayer?: unknown[] }).dataLayer = layer;
    const seen: unknown[] = [];
    watchDataLayer(GA4_EVENTS, { purchase: 'tw-p-1', lead: 'tw-p-2' }, (event, data) =>
      seen.push([event, data.conversion_id]),
    );
    expect(seen).toEqual([['purchase', 'T-1001']]);

    expect(layer.push({ event: 'generate_lead', ecommerce: { transaction_id: 'L-1' } })).toBe(3);
    expect(original).toHaveBeenCalledTimes(1);
    expect(layer).toHaveLength(3);
    expect(seen).toEqual([
      ['purchase', 'T-1001'],
      ['lead', 'L-1'],
    ]);
  });

  it('creates window.dataLayer when the page has none, and a failing handler breaks no push', () => {
    watchDataLayer(GA4_EVENTS, undefined, () => {
      throw new Error('boom');
    });
    const layer = (globalThis as { dataLayer?: unknown[] }).dataLayer;
    expect(Array.isArray(layer) && layer.length).toBe(0);
    expect(() => layer?.push(PURCHASE)).not.toThrow();
    expect([...(layer ?? [])]).toEqual([PURCHASE]);
  });
});
