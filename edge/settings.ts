/**
 * @module
 * Every setting the edge reads, in one list: the README's configuration table,
 * wrangler.toml `[vars]` and .dev.vars.example are checked against it
 * (test/node/settings.test.ts), and `npm run settings:table` prints the table.
 * Variables live in wrangler.toml; secrets come from `wrangler secret put`.
 */

export interface Setting {
  name: string;
  kind: 'var' | 'secret';
  /** The value wrangler.toml holds, as the parser reads it; absent when there is none. */
  default?: string;
  meaning: string;
}

export const SETTINGS: readonly Setting[] = [
  {
    name: 'X_PIXEL_ID',
    kind: 'var',
    meaning: 'the Universal Website Tag (pixel) id, e.g. `o9d7n`',
  },
  {
    name: 'X_EVENTS',
    kind: 'var',
    meaning: 'JSON map of event name to Single Event Tag id, e.g. `{"purchase":"o9d2g"}`',
  },
  {
    name: 'ALLOWED_ORIGINS',
    kind: 'var',
    meaning: 'comma-separated origins allowed to send browser calls',
  },
  {
    name: 'X_PIXELS',
    kind: 'var',
    meaning:
      'several pixels instead of the three above: JSON array of `{"id", "events", "origins", "account"?}` (see [several pixels](#several-pixels))',
  },
  {
    name: 'X_API_BASE_URL',
    kind: 'var',
    default: 'https://ads-api.x.com',
    meaning: 'upstream base URL (tests point it at a local fake)',
  },
  { name: 'X_API_VERSION', kind: 'var', default: '12', meaning: 'Ads API version in the path' },
  {
    name: 'BASE_PATH',
    kind: 'var',
    default: '',
    meaning: 'prefix of every route, e.g. `/xcapi` when mounted on a site route',
  },
  {
    name: 'COOKIE_DAYS',
    kind: 'var',
    default: '30',
    meaning:
      'lifetime in days (1-400) of the `_twclid` cookie the edge sets (`POST /click`, edge capture)',
  },
  {
    name: 'COOKIE_DOMAIN',
    kind: 'var',
    meaning:
      'domain of the `_twclid` cookie, e.g. `shop.example` to share it with subdomains (default: the request host)',
  },
  {
    name: 'PHONE_DEFAULT_COUNTRY',
    kind: 'var',
    default: 'US',
    meaning: 'ISO 3166 country assumed for phone numbers written without `+`',
  },
  {
    name: 'MAX_CONVERSION_AGE_DAYS',
    kind: 'var',
    default: '90',
    meaning:
      'oldest `conversion_time` a server call may send, in days (1-400); older conversions are refused',
  },
  {
    name: 'X_RATE_LIMIT_EVENTS',
    kind: 'var',
    default: '60000',
    meaning:
      "X's quota per ad account: events per window, counted by the account's `RateBudget` Durable Object (a pixel naming no account has its own)",
  },
  {
    name: 'X_RATE_LIMIT_WINDOW_SECONDS',
    kind: 'var',
    default: '900',
    meaning: 'length of that window in seconds',
  },
  {
    name: 'RETRY_BASE_SECONDS',
    kind: 'var',
    default: '5',
    meaning:
      'most a first retry waits after a 5xx or network failure (jittered), doubling per attempt',
  },
  {
    name: 'RETRY_MAX_SECONDS',
    kind: 'var',
    default: '900',
    meaning: 'longest wait between those retries',
  },
  {
    name: 'SERVER_BUDGET_PERCENT',
    kind: 'var',
    default: '50',
    meaning:
      "percent (0-90) of X's quota kept for server calls: browser conversions never spend more than the rest",
  },
  {
    name: 'BROWSER_HOLD_SECONDS',
    kind: 'var',
    default: '60',
    meaning:
      "seconds a browser conversion waits before it may be sent, so the backend's copy of the same `conversion_id` goes first",
  },
  {
    name: 'HEALTH_CACHE_SECONDS',
    kind: 'var',
    default: '5',
    meaning:
      'seconds (0-60) an isolate reuses the delivery state it read for an anonymous `GET /health`, so a flood of them reaches the ledger at most once per interval',
  },
  {
    name: 'DEDUP_MAX_ROWS',
    kind: 'var',
    default: '500000',
    meaning:
      'most conversion ids each `RateBudget` (pixel, or ad account) remembers for dedup (48 hours); see [Security](#security)',
  },
  {
    name: 'DEMO',
    kind: 'var',
    default: 'false',
    meaning: '`true` mounts the demo pages under `/demo/` (`npm start` sets it)',
  },
  {
    name: 'DEMO_PUBLIC',
    kind: 'var',
    default: 'false',
    meaning:
      '`true` serves the demo pages on any host; otherwise only on a loopback host (127.0.0.1, ::1, localhost)',
  },
  {
    name: 'SITE_CAPTURE',
    kind: 'var',
    default: 'false',
    meaning:
      '`true`: the edge runs on the whole site, passes other requests to the origin and sets `_twclid` on landing pages (see [edge capture](#keeping-the-click-id-three-ways))',
  },
  {
    name: 'ORIGIN_URL',
    kind: 'var',
    meaning:
      "origin `SITE_CAPTURE` passes requests to instead of the route's own, e.g. a local dev server",
  },
  {
    name: 'INJECT_SCRIPT',
    kind: 'var',
    default: 'false',
    meaning: '`true` adds the browser script to HTML pages passing through the edge',
  },
  {
    name: 'SHOPIFY_EVENT',
    kind: 'var',
    default: 'purchase',
    meaning:
      'the `X_EVENTS` event Shopify orders are sent as (see [shop webhooks](#orders-straight-from-the-shop-webhooks))',
  },
  {
    name: 'STRIPE_EVENT',
    kind: 'var',
    default: 'purchase',
    meaning: 'the `X_EVENTS` event paid Stripe Checkout sessions are sent as',
  },
  {
    name: 'WOOCOMMERCE_EVENT',
    kind: 'var',
    default: 'purchase',
    meaning: 'the `X_EVENTS` event paid WooCommerce orders are sent as',
  },
  {
    name: 'X_CONSUMER_KEY',
    kind: 'secret',
    meaning: 'OAuth 1.0a consumer key (all four OAuth secrets, or none)',
  },
  { name: 'X_CONSUMER_SECRET', kind: 'secret', meaning: 'OAuth 1.0a consumer secret' },
  {
    name: 'X_ACCESS_TOKEN',
    kind: 'secret',
    meaning: 'OAuth 1.0a access token of an AD_MANAGER or ACCOUNT_ADMIN user',
  },
  { name: 'X_ACCESS_TOKEN_SECRET', kind: 'secret', meaning: 'OAuth 1.0a access token secret' },
  {
    name: 'X_PIXEL_TOKEN',
    kind: 'secret',
    meaning: "alternative to OAuth: X's `X-Pixel-Token` header login",
  },
  {
    name: 'SERVER_KEY',
    kind: 'secret',
    meaning: 'bearer key your backend sends as `Authorization: Bearer ...`; at least 32 characters',
  },
  {
    name: 'QUEUE_SEAL_KEY',
    kind: 'secret',
    meaning:
      "key sealing the client's IP address and user agent inside queue messages (AES-256-GCM); required with X credentials, at least 32 characters",
  },
  {
    name: 'QUEUE_SEAL_KEY_PREVIOUS',
    kind: 'secret',
    meaning:
      'the sealing key `QUEUE_SEAL_KEY` replaced, still opening messages sealed before; keep it 41 days after a rotation',
  },
  {
    name: 'SHOPIFY_WEBHOOK_SECRET',
    kind: 'secret',
    meaning:
      "signing secret of Shopify webhooks (Settings > Notifications > Webhooks, or the app's client secret); set, it opens `POST /webhooks/shopify`",
  },
  {
    name: 'SHOPIFY_WEBHOOK_SECRET_PREVIOUS',
    kind: 'secret',
    meaning:
      'the Shopify secret `SHOPIFY_WEBHOOK_SECRET` replaced: Shopify may sign with it for an hour after a rotation',
  },
  {
    name: 'STRIPE_WEBHOOK_SECRET',
    kind: 'secret',
    meaning:
      "the endpoint's signing secret (`whsec_...`, Developers > Webhooks); set, it opens `POST /webhooks/stripe`",
  },
  {
    name: 'WOOCOMMERCE_WEBHOOK_SECRET',
    kind: 'secret',
    meaning:
      "the webhook's secret (WooCommerce > Settings > Advanced > Webhooks); set, it opens `POST /webhooks/woocommerce`",
  },
];

function cell(setting: Setting): string {
  if (setting.default === undefined) return '-';
  return setting.default === '' ? 'empty' : `\`${setting.default}\``;
}

/** The README's configuration table, one row per setting. */
export function settingsTable(settings: readonly Setting[] = SETTINGS): string {
  return [
    '| name | kind | default | meaning |',
    '|---|---|---|---|',
    ...settings.map((s) => `| \`${s.name}\` | ${s.kind} | ${cell(s)} | ${s.meaning} |`),
  ].join('\n');
}
