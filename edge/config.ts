/**
 * @module
 * Turns the Worker's raw string bindings into a checked configuration.
 * Broken configuration never reaches a caller as a stack trace: `parseConfig`
 * returns the list of problems, which the app logs once and reports in
 * `GET /health`, while routes that need a valid config answer 503.
 */
import type { Env } from './env.ts';

/** How requests to X are authenticated; `none` means dry run. */
export type XCredentials =
  | {
      kind: 'oauth1';
      consumerKey: string;
      consumerSecret: string;
      accessToken: string;
      accessTokenSecret: string;
    }
  | { kind: 'pixel-token'; token: string }
  | { kind: 'none' };

export interface EdgeConfig {
  pixelId: string;
  /** Event name (as the browser script sends it) to Single Event Tag id. */
  events: Readonly<Record<string, string>>;
  allowedOrigins: readonly string[];
  apiBaseUrl: string;
  apiVersion: string;
  /** Route prefix without trailing slash, `''` when mounted at the root. */
  basePath: string;
  cookieDays: number;
  phoneDefaultCountry: string;
  /** Oldest `conversion_time` a server call may send, in days (MAX_CONVERSION_AGE_DAYS). */
  maxConversionAgeDays: number;
  credentials: XCredentials;
  serverKey: string | undefined;
}

export type ConfigResult =
  | { ok: true; config: EdgeConfig }
  | { ok: false; problems: string[]; partial: Partial<EdgeConfig> };

const PIXEL_ID = /^[a-z0-9]{3,16}$/i;
const EVENT_NAME = /^[a-z0-9_.-]{1,64}$/i;
/** Single Event Tag ids look like `o9d2g`; X also accepts `tw-<pixel>-<event>`. */
const EVENT_TAG_ID = /^(?:tw-[a-z0-9]{3,16}-)?[a-z0-9]{3,16}$/i;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parseEvents(raw: string | undefined, problems: string[]): Record<string, string> {
  const events: Record<string, string> = Object.create(null);
  if (!nonEmpty(raw)) {
    problems.push(
      'X_EVENTS is not set: map event names to Single Event Tag ids, e.g. {"purchase":"o9d2g"}',
    );
    return events;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw as string);
  } catch {
    problems.push('X_EVENTS is not valid JSON: expected e.g. {"purchase":"o9d2g"}');
    return events;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push('X_EVENTS must be a JSON object of event name to Single Event Tag id');
    return events;
  }
  for (const [name, tag] of Object.entries(parsed)) {
    if (!EVENT_NAME.test(name)) {
      problems.push(
        `X_EVENTS: event name "${name.slice(0, 64)}" must be 1-64 letters, digits, _ . or -`,
      );
    } else if (typeof tag !== 'string' || !EVENT_TAG_ID.test(tag)) {
      problems.push(`X_EVENTS: "${name}" must map to a Single Event Tag id such as "o9d2g"`);
    } else {
      events[name] = tag;
    }
  }
  if (Object.keys(events).length === 0 && problems.length === 0) {
    problems.push('X_EVENTS is empty: map at least one event name to a Single Event Tag id');
  }
  return events;
}

function parseCredentials(env: Env, problems: string[]): XCredentials {
  const oauth = {
    consumerKey: nonEmpty(env.X_CONSUMER_KEY),
    consumerSecret: nonEmpty(env.X_CONSUMER_SECRET),
    accessToken: nonEmpty(env.X_ACCESS_TOKEN),
    accessTokenSecret: nonEmpty(env.X_ACCESS_TOKEN_SECRET),
  };
  const present = Object.entries(oauth).filter(([, v]) => v !== undefined);
  const pixelToken = nonEmpty(env.X_PIXEL_TOKEN);
  if (present.length === 4) {
    return { kind: 'oauth1', ...(oauth as Record<keyof typeof oauth, string>) };
  }
  if (present.length > 0) {
    const missing = Object.entries(oauth)
      .filter(([, v]) => v === undefined)
      .map(([k]) => k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase());
    problems.push(`OAuth 1.0a credentials are incomplete: missing X_${missing.join(', X_')}`);
  }
  if (pixelToken) return { kind: 'pixel-token', token: pixelToken };
  return { kind: 'none' };
}

/**
 * Checks the Worker's bindings. Never throws.
 *
 * @example
 * const result = parseConfig(env);
 * if (!result.ok) console.error(result.problems.join('; '));
 */
export function parseConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  const pixelId = nonEmpty(env.X_PIXEL_ID);
  if (!pixelId)
    problems.push('X_PIXEL_ID is not set: use the pixel id from X Events Manager, e.g. o9d7n');
  else if (!PIXEL_ID.test(pixelId))
    problems.push('X_PIXEL_ID must be the pixel id from X Events Manager, e.g. o9d7n');

  const events = parseEvents(env.X_EVENTS, problems);

  const allowedOrigins = (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(
        `ALLOWED_ORIGINS: "${origin.slice(0, 100)}" is not an origin like https://shop.example`,
      );
    }
  }

  const apiBaseUrl = (nonEmpty(env.X_API_BASE_URL) ?? 'https://ads-api.x.com').replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(apiBaseUrl))
    problems.push('X_API_BASE_URL must be an http(s) URL');
  const apiVersion = nonEmpty(env.X_API_VERSION) ?? '12';
  if (!/^\d{1,3}$/.test(apiVersion)) problems.push('X_API_VERSION must be a number such as 12');

  let basePath = (env.BASE_PATH ?? '').trim().replace(/\/+$/, '');
  if (basePath && !basePath.startsWith('/')) basePath = `/${basePath}`;
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(basePath))
    problems.push('BASE_PATH must be a path such as /xcapi');

  const cookieDays =
    env.COOKIE_DAYS === undefined || env.COOKIE_DAYS === '' ? 30 : Number(env.COOKIE_DAYS);
  if (!Number.isInteger(cookieDays) || cookieDays < 1 || cookieDays > 400) {
    problems.push('COOKIE_DAYS must be a whole number of days from 1 to 400');
  }
  const phoneDefaultCountry = (nonEmpty(env.PHONE_DEFAULT_COUNTRY) ?? 'US').toUpperCase();
  if (!/^[A-Z]{2}$/.test(phoneDefaultCountry)) {
    problems.push('PHONE_DEFAULT_COUNTRY must be a two-letter ISO 3166 country code such as US');
  }

  const maxConversionAgeDays =
    env.MAX_CONVERSION_AGE_DAYS === undefined || env.MAX_CONVERSION_AGE_DAYS.trim() === ''
      ? 90
      : Number(env.MAX_CONVERSION_AGE_DAYS);
  if (
    !Number.isInteger(maxConversionAgeDays) ||
    maxConversionAgeDays < 1 ||
    maxConversionAgeDays > 400
  ) {
    problems.push('MAX_CONVERSION_AGE_DAYS must be a whole number of days from 1 to 400');
  }

  const credentials = parseCredentials(env, problems);
  const config: EdgeConfig = {
    pixelId: pixelId ?? '',
    events,
    allowedOrigins,
    apiBaseUrl,
    apiVersion,
    basePath,
    cookieDays,
    phoneDefaultCountry,
    maxConversionAgeDays,
    credentials,
    serverKey: nonEmpty(env.SERVER_KEY),
  };
  return problems.length === 0 ? { ok: true, config } : { ok: false, problems, partial: config };
}
