/**
 * @module
 * OAuth 1.0a HMAC-SHA1 signature checking for the fake X API, written from
 * RFC 5849 with node:crypto alone. It deliberately shares no code with the
 * edge's signer (which builds on the `oauth-1.0a` package and WebCrypto), so
 * a signer bug cannot hide behind the same bug in the verifier.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Percent-encodes per RFC 5849 section 3.6: everything except the unreserved
 * set `A-Z a-z 0-9 - . _ ~`, as UTF-8 octets with uppercase hex.
 *
 * @example
 * percentEncode('Ladies + Gentlemen'); // 'Ladies%20%2B%20Gentlemen'
 */
export function percentEncode(value: string): string {
  // encodeURIComponent leaves ! ' ( ) * unencoded; RFC 3986 unreserved does not include them.
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Parses an `Authorization: OAuth ...` header (RFC 5849 section 3.5.1) into
 * its decoded parameters, `realm` excluded. Returns undefined when the header
 * is not OAuth or a parameter is malformed or repeated.
 *
 * @example
 * parseOAuthHeader('OAuth oauth_nonce="a%20b"')?.get('oauth_nonce'); // 'a b'
 */
export function parseOAuthHeader(header: string | null): Map<string, string> | undefined {
  if (!header) return undefined;
  const match = /^OAuth\s+(.*)$/is.exec(header.trim());
  if (!match) return undefined;
  const params = new Map<string, string>();
  for (const part of (match[1] ?? '').split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const pair = /^([^=\s]+)\s*=\s*"([^"]*)"$/.exec(trimmed);
    if (!pair) return undefined;
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(pair[1] ?? '');
      value = decodeURIComponent(pair[2] ?? '');
    } catch {
      return undefined;
    }
    if (name === 'realm') continue; // Section 3.4.1.3.1: realm is not signed.
    if (params.has(name)) return undefined;
    params.set(name, value);
  }
  return params;
}

/**
 * The base string URI of RFC 5849 section 3.4.1.2: lowercase scheme and host,
 * the port only when it is not the scheme's default, the path, no query.
 *
 * @example
 * baseStringUri(new URL('HTTP://Example.COM:80/r%20v/X?id=123')); // 'http://example.com/r%20v/X'
 */
export function baseStringUri(url: URL): string {
  // WHATWG URL already lowercases scheme and host and drops default ports.
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export interface SignatureInput {
  method: string;
  url: URL;
  /** The protocol parameters from the header, `oauth_signature` included or not. */
  oauthParams: ReadonlyMap<string, string>;
  /** Decoded form-encoded body parameters; a JSON body contributes none. */
  formParams?: ReadonlyArray<readonly [string, string]>;
}

/**
 * The signature base string of RFC 5849 section 3.4.1: method, base string
 * URI and normalized parameters (section 3.4.1.3.2: encode names and values,
 * sort by name then value, join with `=` and `&`).
 *
 * @example
 * signatureBaseString({ method: 'POST', url, oauthParams: parseOAuthHeader(header) ?? new Map() });
 */
export function signatureBaseString(input: SignatureInput): string {
  const pairs: [string, string][] = [];
  // Query parameters decode with form rules ('+' is a space): section 3.4.1.3.1.
  for (const [name, value] of input.url.searchParams) pairs.push([name, value]);
  for (const [name, value] of input.oauthParams) {
    if (name !== 'oauth_signature') pairs.push([name, value]);
  }
  for (const [name, value] of input.formParams ?? []) pairs.push([name, value]);
  const normalized = pairs
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => (an === bn ? compare(av, bv) : compare(an, bn)))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return [
    input.method.toUpperCase(),
    percentEncode(baseStringUri(input.url)),
    percentEncode(normalized),
  ].join('&');
}

/** Byte-order comparison, as the RFC asks (not locale order). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * HMAC-SHA1 signature of RFC 5849 section 3.4.2, base64-encoded: the key is
 * the encoded consumer secret and token secret joined by `&`.
 *
 * @example
 * hmacSha1Signature(baseString, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00');
 */
export function hmacSha1Signature(
  baseString: string,
  consumerSecret: string,
  tokenSecret: string,
): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(baseString).digest('base64');
}

/**
 * Compares two secrets or signatures without leaking where they differ.
 *
 * @example
 * if (!signaturesMatch(expected, params.get('oauth_signature') ?? '')) return unauthorized();
 */
export function signaturesMatch(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
