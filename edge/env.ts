/**
 * @module
 * Every binding, variable and secret the edge Worker reads. Variables live in
 * wrangler.toml `[vars]`; secrets come from `wrangler secret put` or `.dev.vars`.
 * Values arrive as raw strings: `parseConfig` (./config.ts) turns them into a
 * checked `EdgeConfig`, so no other module reads `Env` strings directly.
 */

export interface Env {
  /** Universal Website Tag (pixel) id, e.g. `o9d7n`. */
  X_PIXEL_ID?: string;
  /** JSON map of event name to Single Event Tag id, e.g. `{"purchase":"o9d2g"}`. */
  X_EVENTS?: string;
  /** Comma-separated origins allowed to send browser calls. */
  ALLOWED_ORIGINS?: string;
  /** Upstream base URL; tests point it at the local fake X API. */
  X_API_BASE_URL?: string;
  /** Ads API version used in the upstream path. */
  X_API_VERSION?: string;
  /** Prefix of every route, e.g. `/xcapi`. */
  BASE_PATH?: string;
  /** Lifetime in days of the `_twclid` cookie set by `POST /click` (default 30). */
  COOKIE_DAYS?: string;
  /** ISO 3166 country assumed for phone numbers written without `+` (default US). */
  PHONE_DEFAULT_COUNTRY?: string;

  /** `true` mounts the local demo pages under `/demo/` (`npm start` sets it). */
  DEMO?: string;
  /** `true` serves the demo pages on hosts other than loopback. */
  DEMO_PUBLIC?: string;
  /** Conversions older than this many days are refused (default 90). */
  MAX_CONVERSION_AGE_DAYS?: string;
  /** `true` captures click ids on the site's own routes, in front of ORIGIN_URL. */
  SITE_CAPTURE?: string;
  /** The site the edge stands in front of when SITE_CAPTURE is on. */
  ORIGIN_URL?: string;
  /** `true` adds the browser script to HTML pages passing through the edge. */
  INJECT_SCRIPT?: string;
  /** Domain of the `_twclid` cookie, e.g. `shop.example` (default: the request's host). */
  COOKIE_DOMAIN?: string;

  /**
   * Workers Rate Limiting binding counting browser calls per client address
   * (edge/http/browser-rate-limit.ts), configured in wrangler.toml `[[ratelimits]]`.
   * Optional: without it browser calls are not rate limited.
   */
  BROWSER_RATE_LIMITER?: RateLimit;

  /** OAuth 1.0a (HMAC-SHA1) credentials: all four, or none. */
  X_CONSUMER_KEY?: string;
  X_CONSUMER_SECRET?: string;
  X_ACCESS_TOKEN?: string;
  X_ACCESS_TOKEN_SECRET?: string;
  /** Alternative to OAuth: X's pixel access token, sent as `X-Pixel-Token`. */
  X_PIXEL_TOKEN?: string;
  /** Bearer key for server calls (a checkout backend). */
  SERVER_KEY?: string;

  /**
   * Queue of accepted conversions, one `DeliveryMessage` (edge/delivery/message.ts)
   * each. Required: ingest answers 503 without it rather than accept what it cannot store.
   */
  DELIVERY_QUEUE?: Queue<import('./delivery/message.ts').DeliveryMessage>;
  /** One `RateBudget` Durable Object per pixel: X's quota and the 48 h dedup memory. */
  RATE_BUDGET?: DurableObjectNamespace<import('./delivery/rate-budget.ts').RateBudget>;
  /**
   * One `DeliveryLedger` Durable Object per pixel: delivery state for `/health`,
   * held conversions, dead letters, per-conversion status and `/status` counts.
   */
  DELIVERY_LEDGER?: DurableObjectNamespace<import('./delivery/delivery-ledger.ts').DeliveryLedger>;
  /** X's quota per pixel: events per window (default 60000). */
  X_RATE_LIMIT_EVENTS?: string;
  /** Length in seconds of that window (default 900 = 15 minutes). */
  X_RATE_LIMIT_WINDOW_SECONDS?: string;
  /** First retry delay in seconds after a 5xx or network failure (default 5; tests use 0). */
  RETRY_BASE_SECONDS?: string;
  /** Longest wait between retries after transient failures (default 900 s). */
  RETRY_MAX_SECONDS?: string;
  /**
   * Optional secret sealing IP addresses inside queue messages (edge/delivery/seal-address.ts);
   * without it the key is derived from the X credentials' secrets.
   */
  QUEUE_SEAL_KEY?: string;
  /** The sealing key replaced by QUEUE_SEAL_KEY, still opening messages sealed before. */
  QUEUE_SEAL_KEY_PREVIOUS?: string;
}
