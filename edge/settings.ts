/**
 * @module
 * Every setting the edge reads, in one typed spec: each variable's valibot
 * schema with its default and bounds. `parseConfig` reads through it, the
 * README's configuration table is generated from it (`npm run settings:table`),
 * wrangler.toml `[vars]` and .dev.vars.example are checked against it
 * (test/node/settings.test.ts), and the CLI takes its defaults from it.
 * Variables live in wrangler.toml; secrets come from `wrangler secret put`.
 */
import * as v from 'valibot';
import {
  flag,
  isHttpUrl,
  type SettingSpec,
  secret,
  text,
  type VariableSpec,
  type WholeNumberSpec,
  wholeNumber,
} from './setting-kinds.ts';

/** `BASE_PATH` as routes use it: trimmed, a leading slash, no trailing one (`xcapi/` -> `/xcapi`). */
export function normalizeBasePath(raw: string | undefined): string {
  const path = (raw ?? '').trim().replace(/\/+$/, '');
  return path && !path.startsWith('/') ? `/${path}` : path;
}

const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

export const SETTINGS = {
  X_PIXEL_ID: {
    kind: 'var',
    meaning: 'the Universal Website Tag (pixel) id, e.g. `o9d7n`',
    schema: v.pipe(
      v.string(),
      v.regex(/^[a-z0-9]{3,16}$/i, 'must be the pixel id from X Events Manager, e.g. o9d7n'),
    ),
    unset: 'is not set: use the pixel id from X Events Manager, e.g. o9d7n',
  },
  X_EVENTS: {
    kind: 'var',
    meaning: 'JSON map of event name to Single Event Tag id, e.g. `{"purchase":"o9d2g"}`',
    // Each entry is checked on its own (config-events.ts), so one bad entry names itself.
    schema: v.string(),
    unset: 'is not set: map event names to Single Event Tag ids, e.g. {"purchase":"o9d2g"}',
  },
  ALLOWED_ORIGINS: {
    kind: 'var',
    meaning: 'comma-separated origins allowed to send browser calls',
    // Each origin is checked on its own (config.ts), so one bad origin names itself.
    schema: v.string(),
  },
  X_PIXELS: {
    kind: 'var',
    meaning:
      'several pixels instead of the three above: JSON array of `{"id", "events", "origins", "account"?}` (see [several pixels](#several-pixels))',
    // The list is read by its own schema (edge/pixels/pixel-config.ts), each entry's problems named.
    schema: v.string(),
  },
  X_API_BASE_URL: {
    kind: 'var',
    meaning: 'upstream base URL (tests point it at a local fake)',
    default: 'https://ads-api.x.com',
    schema: v.pipe(
      v.string(),
      v.transform((url) => url.replace(/\/+$/, '')),
      v.regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'),
    ),
  },
  X_API_VERSION: {
    kind: 'var',
    meaning: 'Ads API version in the path',
    default: '12',
    schema: v.pipe(v.string(), v.regex(/^\d{1,3}$/, 'must be a number such as 12')),
  },
  BASE_PATH: {
    kind: 'var',
    meaning: 'prefix of every route, e.g. `/xcapi` when mounted on a site route',
    default: '',
    schema: v.pipe(
      v.string(),
      v.transform((path: string) => normalizeBasePath(path)),
      v.regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'must be a path such as /xcapi'),
    ),
  },
  COOKIE_DAYS: wholeNumber(
    30,
    1,
    400,
    'days',
    "lifetime in days of the `_twclid` cookie the edge sets (`POST /click`, edge capture) and the script's default",
  ),
  COOKIE_DOMAIN: {
    kind: 'var',
    meaning:
      'domain of the `_twclid` cookie, e.g. `shop.example` to share it with subdomains (default: the request host)',
    schema: v.pipe(
      v.string(),
      v.toLowerCase(),
      v.transform((domain) => domain.replace(/^\./, '')),
      v.regex(DOMAIN, 'must be a domain such as shop.example'),
    ),
  },
  PHONE_DEFAULT_COUNTRY: {
    kind: 'var',
    meaning: 'ISO 3166 country assumed for phone numbers written without `+`',
    default: 'US',
    schema: v.pipe(
      v.string(),
      v.toUpperCase(),
      v.regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166 country code such as US'),
    ),
  },
  MAX_CONVERSION_AGE_DAYS: wholeNumber(
    90,
    1,
    400,
    'days',
    'oldest `conversion_time` a server call may send, in days; older conversions are refused',
  ),
  X_RATE_LIMIT_EVENTS: wholeNumber(
    60_000,
    1,
    10_000_000,
    'events',
    "X's quota per ad account: events per window, counted in each pixel's `DeliveryLedger` Durable Object (pixels sharing an `account` split it evenly)",
  ),
  X_RATE_LIMIT_WINDOW_SECONDS: wholeNumber(
    900,
    1,
    86_400,
    'seconds',
    'length of that window in seconds',
  ),
  RETRY_BASE_SECONDS: wholeNumber(
    5,
    0,
    3600,
    'seconds',
    'most a first retry waits after a 5xx or network failure (jittered), doubling per attempt',
  ),
  // Cloudflare Queues delay a message by at most 12 hours.
  RETRY_MAX_SECONDS: wholeNumber(900, 1, 43_200, 'seconds', 'longest wait between those retries'),
  SERVER_BUDGET_PERCENT: wholeNumber(
    50,
    0,
    90,
    'percent',
    "percent of X's quota kept for server calls: browser conversions never spend more than the rest",
  ),
  // Long enough for a checkout backend's call to overtake the page's beacon; Cloudflare
  // Queues delay a message by at most 12 hours.
  BROWSER_HOLD_SECONDS: wholeNumber(
    60,
    0,
    43_200,
    'seconds',
    "seconds a browser conversion waits before it may be sent, so the backend's copy of the same `conversion_id` goes first",
  ),
  // Uptime monitors poll every 30 s or more: a few seconds' staleness costs them nothing.
  HEALTH_CACHE_SECONDS: wholeNumber(
    5,
    0,
    60,
    'seconds',
    'seconds an isolate reuses the delivery state it read for an anonymous `GET /health`, so a flood of them reaches the ledger at most once per interval',
  ),
  // A few days of a busy shop's conversions, a few MB of SQLite.
  DEDUP_MAX_ROWS: wholeNumber(
    500_000,
    1,
    100_000_000,
    'rows',
    'most conversion rows (dedup and status) each pixel keeps before the oldest browser copies go; see [Security](#security)',
  ),
  DEMO: flag('`true` mounts the demo pages under `/demo/` (`npm start` sets it)'),
  DEMO_PUBLIC: flag(
    '`true` serves the demo pages on any host; otherwise only on a loopback host (127.0.0.1, ::1, localhost)',
  ),
  SITE_CAPTURE: flag(
    '`true`: the edge runs on the whole site, passes other requests to the origin and sets `_twclid` on landing pages (see [edge capture](#keeping-the-click-id-three-ways))',
  ),
  ORIGIN_URL: {
    kind: 'var',
    meaning:
      "origin `SITE_CAPTURE` passes requests to instead of the route's own, e.g. a local dev server",
    schema: v.pipe(
      v.string(),
      v.check(isHttpUrl, 'must be an http(s) URL such as https://origin.shop.example'),
      v.transform((url) => url.replace(/\/+$/, '')),
    ),
  },
  INJECT_SCRIPT: flag('`true` adds the browser script to HTML pages passing through the edge'),
  SHOPIFY_EVENT: text(
    'purchase',
    'the `X_EVENTS` event Shopify orders are sent as (see [shop webhooks](#orders-straight-from-the-shop-webhooks))',
  ),
  STRIPE_EVENT: text('purchase', 'the `X_EVENTS` event paid Stripe Checkout sessions are sent as'),
  WOOCOMMERCE_EVENT: text('purchase', 'the `X_EVENTS` event paid WooCommerce orders are sent as'),
  X_CONSUMER_KEY: secret('OAuth 1.0a consumer key (all four OAuth secrets, or none)'),
  X_CONSUMER_SECRET: secret('OAuth 1.0a consumer secret'),
  X_ACCESS_TOKEN: secret('OAuth 1.0a access token of an AD_MANAGER or ACCOUNT_ADMIN user'),
  X_ACCESS_TOKEN_SECRET: secret('OAuth 1.0a access token secret'),
  X_PIXEL_TOKEN: secret("alternative to OAuth: X's `X-Pixel-Token` header login"),
  SERVER_KEY: secret(
    'bearer key your backend sends as `Authorization: Bearer ...`; at least 32 characters',
  ),
  QUEUE_SEAL_KEY: secret(
    "key sealing the client's IP address and user agent inside queue messages (AES-256-GCM); required with X credentials, at least 32 characters",
  ),
  QUEUE_SEAL_KEY_PREVIOUS: secret(
    'the sealing key `QUEUE_SEAL_KEY` replaced, still opening messages sealed before; keep it 41 days after a rotation',
  ),
  SHOPIFY_WEBHOOK_SECRET: secret(
    "signing secret of Shopify webhooks (Settings > Notifications > Webhooks, or the app's client secret); set, it opens `POST /webhooks/shopify`",
  ),
  SHOPIFY_WEBHOOK_SECRET_PREVIOUS: secret(
    'the Shopify secret `SHOPIFY_WEBHOOK_SECRET` replaced: Shopify may sign with it for an hour after a rotation',
  ),
  STRIPE_WEBHOOK_SECRET: secret(
    "the endpoint's signing secret (`whsec_...`, Developers > Webhooks); set, it opens `POST /webhooks/stripe`",
  ),
  WOOCOMMERCE_WEBHOOK_SECRET: secret(
    "the webhook's secret (WooCommerce > Settings > Advanced > Webhooks); set, it opens `POST /webhooks/woocommerce`",
  ),
} satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

/** A setting with its name, for lists. */
export type NamedSetting = SettingSpec & { name: SettingName };

/** Every setting in the spec's order. */
export const SETTING_LIST: readonly NamedSetting[] = Object.entries(SETTINGS).map(
  ([name, spec]) => ({ name: name as SettingName, ...spec }),
);

/** The value wrangler.toml writes for a variable: its default as a string, empty when none. */
export function wranglerValue(spec: VariableSpec): string {
  return spec.default === undefined ? '' : String(spec.default);
}

function isWholeNumber(spec: SettingSpec): spec is WholeNumberSpec {
  return 'min' in spec;
}

function defaultCell(spec: SettingSpec): string {
  if (spec.kind === 'secret' || spec.default === undefined) return '-';
  const value = wranglerValue(spec);
  const cell = value === '' ? 'empty' : `\`${value}\``;
  return isWholeNumber(spec) ? `${cell} (${spec.min}-${spec.max})` : cell;
}

/** The README's configuration table, one row per setting. */
export function settingsTable(settings: readonly NamedSetting[] = SETTING_LIST): string {
  return [
    '| name | kind | default | meaning |',
    '|---|---|---|---|',
    ...settings.map((s) => `| \`${s.name}\` | ${s.kind} | ${defaultCell(s)} | ${s.meaning} |`),
  ].join('\n');
}
