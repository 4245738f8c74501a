/**
 * @module
 * The secrets: X's credentials (OAuth 1.0a, a pixel token, or none for a dry
 * run) and the keys guarding server calls and queued addresses, each long
 * enough and there when another setting needs it.
 */
import type { Env } from './env.ts';
import type { XCredentials } from './pixels/pixel-credentials.ts';

/** The keys guarding server calls, and sealing IP addresses inside queue messages. */
export interface SecretKeys {
  serverKey: string | undefined;
  /** Key sealing IP addresses inside queue messages, and the one it replaced. */
  sealKey?: string;
  sealKeyPrevious?: string;
}

/** Shortest SERVER_KEY and QUEUE_SEAL_KEY accepted: 32 characters, e.g. `openssl rand -base64 32`. */
export const MIN_SECRET_LENGTH = 32;

/** A secret as set: trimmed, `undefined` when unset or blank. */
export function secretOf(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The secrets guarding server calls and queued addresses: long enough, and there when needed. */
export function checkSecrets(env: Env, credentials: XCredentials, problems: string[]): SecretKeys {
  const serverKey = secretOf(env.SERVER_KEY);
  const sealKey = secretOf(env.QUEUE_SEAL_KEY);
  const sealKeyPrevious = secretOf(env.QUEUE_SEAL_KEY_PREVIOUS);
  const generate = 'generate one with: openssl rand -base64 32';
  if (serverKey !== undefined && serverKey.length < MIN_SECRET_LENGTH) {
    problems.push(`SERVER_KEY must be at least ${MIN_SECRET_LENGTH} characters: ${generate}`);
  }
  if (credentials.kind !== 'none' && sealKey === undefined) {
    problems.push(
      `QUEUE_SEAL_KEY is not set: it seals IP addresses on the queue when X credentials are set; ${generate}`,
    );
  }
  for (const [name, key] of [
    ['QUEUE_SEAL_KEY', sealKey],
    ['QUEUE_SEAL_KEY_PREVIOUS', sealKeyPrevious],
  ] as const) {
    if (key !== undefined && key.length < MIN_SECRET_LENGTH) {
      problems.push(`${name} must be at least ${MIN_SECRET_LENGTH} characters: ${generate}`);
    }
  }
  return {
    serverKey,
    ...(sealKey ? { sealKey } : {}),
    ...(sealKeyPrevious ? { sealKeyPrevious } : {}),
  };
}
