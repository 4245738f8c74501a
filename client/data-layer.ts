/**
 * @module
 * GA4 ecommerce events already on the page become conversions: pushes to
 * `window.dataLayer`, in GTM's form (`{event: 'purchase', ecommerce: {...}}`) or
 * gtag's (`gtag('event', 'purchase', {...})`, which pushes its `arguments`), made
 * before or after the script loaded (see `followDataLayer`).
 */
import { followDataLayer } from './data-layer-feed.ts';
import type { TrackContent, TrackData } from './types.ts';

/** GA4 event name to this site's event name, used when `data-datalayer` names none. */
export const GA4_EVENTS: Readonly<Record<string, string>> = {
  purchase: 'purchase',
  generate_lead: 'lead',
  sign_up: 'signup',
  add_to_cart: 'add_to_cart',
  begin_checkout: 'begin_checkout',
};

/**
 * The event map for a `data-datalayer` value: the defaults, changed by comma-separated
 * `ga4_name:event_name` pairs (`add_to_cart:` drops that GA4 event).
 */
export function ga4EventMap(spec: string): Record<string, string> {
  const map: Record<string, string> = { ...GA4_EVENTS };
  for (const pair of spec.split(',')) {
    const [ga4, event] = pair.split(':').map((part) => part.trim());
    if (ga4 && event !== undefined) map[ga4] = event;
  }
  return map;
}

interface Ga4Item {
  item_id?: string | number;
  item_name?: string;
  price?: number;
  quantity?: number;
}

interface Ga4Parameters {
  transaction_id?: string | number;
  value?: number | string;
  currency?: string;
  items?: Ga4Item[];
}

/** The conversion in one dataLayer entry as `[event, data]`, if it is a mapped GA4 event. */
export function ga4Conversion(
  entry: unknown,
  map: Record<string, string>,
): [event: string, data: TrackData] | undefined {
  const gtag = entry as ArrayLike<unknown> | undefined;
  const gtm = entry as { event?: unknown; ecommerce?: Ga4Parameters } | undefined;
  // gtag('event', name, params) pushes its arguments object; GTM pushes a plain object.
  const [name, params] =
    gtag?.[0] === 'event' ? [gtag[1], gtag[2] as Ga4Parameters] : [gtm?.event, gtm?.ecommerce];
  // typeof: inherited names such as `constructor` are not events.
  const event = typeof name === 'string' ? map[name] : undefined;
  if (typeof event !== 'string' || !event) return;
  const { transaction_id, value, currency, items } = params || {};
  const data: TrackData = { value, currency };
  if (transaction_id != null) data.conversion_id = `${transaction_id}`;
  if (Array.isArray(items) && items.length) {
    data.contents = items.map(
      (item): TrackContent => ({
        content_id: item.item_id == null ? undefined : `${item.item_id}`,
        content_name: item.item_name,
        content_price: item.price,
        num_items: item.quantity,
      }),
    );
  }
  return [event, data];
}

/**
 * Calls `onConversion` for each mapped GA4 event in `window.dataLayer`, those already
 * pushed and every later push. With `knownEvents` (the edge's configured events),
 * events the edge would refuse are skipped.
 */
export function watchDataLayer(
  map: Record<string, string>,
  knownEvents: Readonly<Record<string, string>> | undefined,
  onConversion: (event: string, data: TrackData) => void,
): void {
  followDataLayer((entry) => {
    try {
      const conversion = ga4Conversion(entry, map);
      if (conversion && (!knownEvents || knownEvents[conversion[0]])) onConversion(...conversion);
    } catch {}
  });
}
