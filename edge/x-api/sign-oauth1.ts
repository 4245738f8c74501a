/**
 * @module
 * OAuth 1.0a HMAC-SHA1 request signing (RFC 5849) for X's Ads API, inside
 * Workers. The `oauth-1.0a` package builds the signature base string, the
 * signing key and the header; the HMAC runs on WebCrypto (`crypto.subtle`),
 * which is async, so the package's synchronous `hash_function` is never used.
 *
 * X's conversions endpoint takes a JSON body, and a JSON body is not part of
 * the signature (RFC 5849 section 3.4.1.3.1 signs query and form parameters
 * only): it must never be handed to the package as `data`.
 */
import OAuth from 'oauth-1.0a';
import { toBase64, toHex } from '../byte-text.ts';
import type { XCredentials } from '../config.ts';

export type OAuth1Credentials = Extract<XCredentials, { kind: 'oauth1' }>;

export interface SignOAuth1Input {
  method: string;
  /** Absolute URL, query included (query parameters are signed). */
  url: string;
  credentials: OAuth1Credentials;
  /** Fixed only in tests against published vectors; random by default. */
  nonce?: string;
  /** Seconds since the epoch; now by default. */
  timestamp?: number;
  /**
   * Parameters of an `application/x-www-form-urlencoded` body, which RFC 5849
   * signs. Never a JSON body.
   */
  formParams?: Readonly<Record<string, string>>;
}

/** 32 hex characters from the platform CSPRNG (the package's own nonce uses Math.random). */
function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return toHex(bytes);
}

async function hmacSha1Base64(key: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  );
  return toBase64(
    new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message))),
  );
}

/**
 * Returns the `Authorization` header value for one request.
 *
 * @example
 * const authorization = await signOAuth1({
 *   method: 'POST',
 *   url: 'https://ads-api.x.com/12/measurement/conversions/o9d7n',
 *   credentials: config.credentials, // kind 'oauth1'
 * });
 * await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
 */
export async function signOAuth1({
  method,
  url,
  credentials,
  nonce = randomNonce(),
  timestamp = Math.floor(Date.now() / 1000),
  formParams,
}: SignOAuth1Input): Promise<string> {
  const oauth = new OAuth({
    consumer: { key: credentials.consumerKey, secret: credentials.consumerSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: () => {
      throw new Error('signOAuth1 signs with WebCrypto; the synchronous hash is not used');
    },
  });
  // The package cuts the base URI at '?' without normalizing: let URL lowercase
  // the host and drop a default port first (RFC 5849 section 3.4.1.2).
  const target = new URL(url);
  const request = {
    method: method.toUpperCase(),
    url: `${target.origin}${target.pathname}${target.search}`,
    data: { ...formParams },
  };
  const oauthData: OAuth.Data = {
    oauth_consumer_key: credentials.consumerKey,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: timestamp,
    oauth_token: credentials.accessToken,
    oauth_version: '1.0',
  };
  const signature = await hmacSha1Base64(
    oauth.getSigningKey(credentials.accessTokenSecret),
    oauth.getBaseString(request, oauthData),
  );
  return oauth.toHeader({ ...oauthData, oauth_signature: signature }).Authorization;
}
