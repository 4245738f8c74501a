/**
 * signOAuth1 inside workerd against published test vectors with a fixed
 * nonce and timestamp.
 */
import { describe, expect, it } from 'vitest';
import { signOAuth1 } from '../../edge/x-api/sign-oauth1.ts';

/** Splits an `OAuth k="v", ...` header into decoded parameters. */
function headerParams(header: string): Record<string, string> {
  expect(header.startsWith('OAuth ')).toBe(true);
  return Object.fromEntries(
    header
      .slice(6)
      .split(', ')
      .map((pair) => {
        const [, key = '', value = ''] = /^([^=]+)="(.*)"$/.exec(pair) ?? [];
        return [key, decodeURIComponent(value)];
      }),
  );
}

const X_EXAMPLE = {
  method: 'POST',
  url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
  credentials: {
    kind: 'oauth1',
    consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
    consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
    accessToken: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
    accessTokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  },
  nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
  timestamp: 1318622958,
  formParams: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' },
} as const;

describe('signOAuth1', () => {
  it('reproduces X\'s "Creating a signature" example', async () => {
    const header = await signOAuth1(X_EXAMPLE);
    expect(headerParams(header)).toEqual({
      oauth_consumer_key: 'xvz1evFS4wEEPTGEFPHBog',
      oauth_nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
      oauth_signature: 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '1318622958',
      oauth_token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
      oauth_version: '1.0',
    });
    // The signature travels percent-encoded in the header.
    expect(header).toContain('oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"');
  });

  it('changes the signature when any signed input changes', async () => {
    const reference = headerParams(await signOAuth1(X_EXAMPLE)).oauth_signature;
    const variants = [
      { ...X_EXAMPLE, formParams: { status: 'Hello' } },
      { ...X_EXAMPLE, url: 'https://api.twitter.com/1.1/statuses/update.json' },
      { ...X_EXAMPLE, credentials: { ...X_EXAMPLE.credentials, accessTokenSecret: 'other' } },
      { ...X_EXAMPLE, timestamp: 1318622959 },
    ];
    for (const variant of variants) {
      expect(headerParams(await signOAuth1(variant)).oauth_signature).not.toBe(reference);
    }
  });

  it('normalizes the host and default port before signing', async () => {
    const upper = await signOAuth1({
      ...X_EXAMPLE,
      url: 'https://API.twitter.com:443/1.1/statuses/update.json?include_entities=true',
    });
    expect(headerParams(upper).oauth_signature).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });

  it('makes a fresh 128-bit nonce and the current timestamp by default', async () => {
    const { nonce: _n, timestamp: _t, ...input } = X_EXAMPLE;
    const before = Math.floor(Date.now() / 1000);
    const a = headerParams(await signOAuth1(input));
    const b = headerParams(await signOAuth1(input));
    expect(a.oauth_nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(a.oauth_nonce).not.toBe(b.oauth_nonce);
    expect(Number(a.oauth_timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(a.oauth_timestamp)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });
});
