/**
 * @module
 * The secrets of each pixel. The OAuth 1.0a secrets and `X_PIXEL_TOKEN` serve
 * every pixel (one X user's token can reach many ad accounts); a pixel may
 * have its own, named like the shared ones with `_<ID>` added (the pixel id
 * upper-cased): `X_PIXEL_TOKEN_O9D7N`, `X_CONSUMER_KEY_O9D7N`, ... and a
 * server key of its own, `SERVER_KEY_O9D7N`. Their names depend on the
 * configured pixels, so they are read here by name rather than declared one
 * by one in edge/settings.ts. No value ever leaves this module except into
 * the configuration.
 */
import type { Env } from '../env.ts';

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

/** The five X secrets as set (unset or blank: undefined). */
export interface XSecrets {
  consumerKey: string | undefined;
  consumerSecret: string | undefined;
  accessToken: string | undefined;
  accessTokenSecret: string | undefined;
  pixelToken: string | undefined;
}

const OAUTH_NAMES = {
  consumerKey: 'X_CONSUMER_KEY',
  consumerSecret: 'X_CONSUMER_SECRET',
  accessToken: 'X_ACCESS_TOKEN',
  accessTokenSecret: 'X_ACCESS_TOKEN_SECRET',
} as const;

/** The suffix of a pixel's own secrets: `_` and the id upper-cased (`o9d7n` -> `_O9D7N`). */
export function secretSuffix(pixelId: string): string {
  return `_${pixelId.toUpperCase()}`;
}

function present(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed ? trimmed : undefined;
}

/** A binding by a name only known at run time. */
function binding(env: Env, name: string): string | undefined {
  return present((env as Readonly<Record<string, unknown>>)[name]);
}

/** The pixel's own X secrets (`X_CONSUMER_KEY_<ID>`, ..., `X_PIXEL_TOKEN_<ID>`). */
export function pixelSecrets(env: Env, pixelId: string): XSecrets {
  const suffix = secretSuffix(pixelId);
  return {
    consumerKey: binding(env, `${OAUTH_NAMES.consumerKey}${suffix}`),
    consumerSecret: binding(env, `${OAUTH_NAMES.consumerSecret}${suffix}`),
    accessToken: binding(env, `${OAUTH_NAMES.accessToken}${suffix}`),
    accessTokenSecret: binding(env, `${OAUTH_NAMES.accessTokenSecret}${suffix}`),
    pixelToken: binding(env, `X_PIXEL_TOKEN${suffix}`),
  };
}

/** The pixel's own server key, `SERVER_KEY_<ID>`. */
export function pixelServerKey(env: Env, pixelId: string): string | undefined {
  return binding(env, `SERVER_KEY${secretSuffix(pixelId)}`);
}

/**
 * The credentials a set of secrets makes: all four OAuth secrets, else the
 * pixel token, else none. Some but not all OAuth secrets is a problem, named
 * with `suffix` (`''` for the shared ones).
 */
export function credentialsFrom(
  secrets: XSecrets,
  suffix: string,
  problems: string[],
): XCredentials {
  const oauth = {
    consumerKey: present(secrets.consumerKey),
    consumerSecret: present(secrets.consumerSecret),
    accessToken: present(secrets.accessToken),
    accessTokenSecret: present(secrets.accessTokenSecret),
  };
  const missing = (Object.keys(OAUTH_NAMES) as (keyof typeof OAUTH_NAMES)[]).filter(
    (key) => oauth[key] === undefined,
  );
  if (missing.length === 0) {
    return { kind: 'oauth1', ...(oauth as Record<keyof typeof oauth, string>) };
  }
  if (missing.length < 4) {
    problems.push(
      `OAuth 1.0a credentials are incomplete: missing ${missing.map((key) => `${OAUTH_NAMES[key]}${suffix}`).join(', ')}`,
    );
  }
  const token = present(secrets.pixelToken);
  return token ? { kind: 'pixel-token', token } : { kind: 'none' };
}

/** Whether any of the secrets is set: a pixel with none of its own uses the shared ones. */
export function anySecret(secrets: XSecrets): boolean {
  return Object.values(secrets).some((value) => value !== undefined);
}
