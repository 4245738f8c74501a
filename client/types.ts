/**
 * @module
 * The browser script's public types: what `xcapi('track', ...)` accepts and how the
 * script is configured. Shared by the IIFE entry, the ESM entry and `global.d.ts`.
 */

/** One line item of a conversion, as the page passes it to `track`. */
export interface TrackContent {
  content_id?: string;
  content_name?: string;
  content_type?: string;
  content_price?: number;
  num_items?: number;
  content_group_id?: string;
}

/** The optional DATA of `xcapi('track', EVENT, DATA)`. */
export interface TrackData {
  email?: string;
  phone?: string;
  value?: number | string;
  currency?: string;
  number_items?: number;
  /** Dedup key: pass the order id (and the same id to the X pixel). Defaults to a UUID. */
  conversion_id?: string;
  description?: string;
  contents?: TrackContent[];
}

/** Settings read from the script tag's `data-` attributes, or passed to `init`. */
export interface XcapiSettings {
  /** Base URL of the edge, without trailing slash (`''` means this page's origin). */
  endpoint: string;
  /** Lifetime in days of the stored click id. */
  cookieDays: number;
  /** `pending` holds everything back until `consent(true)`. */
  consent: 'granted' | 'pending';
  /** Parent domain the `_twclid` cookie is written for (shared by its subdomains). */
  cookieDomain?: string;
  /**
   * Event name to X's event id `tw-<pixel>-<tag>`: conversions of these events are
   * also given to X's pixel (`twq`) when it is on the page. Absent: no mirror.
   */
  pixelEvents?: Readonly<Record<string, string>>;
}

/** The commands `window.xcapi` understands. */
export type XcapiCommand =
  | [command: 'track', event: string, data?: TrackData]
  | [command: 'consent', granted: boolean]
  /** Console messages for what is not stored or sent, and why. */
  | [command: 'debug'];

/** `window.xcapi`: the queue stub before the script loads, the real function after. */
export interface XcapiFunction {
  (...command: XcapiCommand): void;
  /** Calls made before the script loaded (the stub's queue of `arguments`). */
  q?: ArrayLike<unknown>[];
  /** `true` once the real script has replaced the stub. */
  loaded?: true;
}
