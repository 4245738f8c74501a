/**
 * @module
 * The shops' webhook signatures, checked on the raw body before anything
 * reads it. Pure WebCrypto (the same in workerd and Node, so the CLI can use
 * it too). The comparison is `crypto.subtle.verify`, which compares the
 * expected MAC with the presented one in constant time: the time a refusal
 * takes says nothing about how much of a forged signature was right.
 *
 * - Shopify and WooCommerce: base64 HMAC-SHA256 of the body.
 * - Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, the
 *   hex HMAC-SHA256 of `<t>.<body>`, keyed with the whole `whsec_...` string.
 *   Several `v1` come while a secret is rolled; `v0` and unknown schemes are
 *   ignored; a timestamp further than the tolerance from now is refused, so a
 *   captured delivery cannot be replayed later.
 */

/** Stripe's libraries refuse signatures older (or newer) than five minutes. */
export const STRIPE_TOLERANCE_SECONDS = 300;
/** A real header has a timestamp and one `v1` per live secret: this bounds the work. */
const MAX_HEADER_LENGTH = 1024;
const MAX_STRIPE_SIGNATURES = 8;

const encoder = new TextEncoder();

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
}

/** Standard base64 (padding optional) to bytes, or `undefined` when it is not base64. */
function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function fromHex(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) return undefined;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i += 1) {
    bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

/** Whether any of `secrets` signed `data` with `mac`. Empty secrets never verify. */
async function anySecretSigned(
  secrets: readonly string[],
  mac: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  for (const secret of secrets) {
    if (secret === '') continue;
    if (await crypto.subtle.verify('HMAC', await hmacKey(secret), mac, data)) return true;
  }
  return false;
}

/**
 * Whether `header` is the base64 HMAC-SHA256 of `body` under one of
 * `secrets` (Shopify's `X-Shopify-Hmac-Sha256`, WooCommerce's
 * `X-WC-Webhook-Signature`). Shopify signs with the old secret for up to an
 * hour after a rotation, hence a list.
 *
 * @example
 * await verifyBase64Hmac(['shpss_example'], bytes, request.headers.get('x-shopify-hmac-sha256'));
 */
export async function verifyBase64Hmac(
  secrets: readonly string[],
  body: Uint8Array<ArrayBuffer>,
  header: string | null | undefined,
): Promise<boolean> {
  if (!header || header.length > MAX_HEADER_LENGTH) return false;
  const mac = fromBase64(header.trim());
  if (!mac) return false;
  return anySecretSigned(secrets, mac, body);
}

export type StripeSignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a `Stripe-Signature` header against the raw body at `now` (ms).
 *
 * @example
 * const check = await verifyStripeSignature('whsec_example', bytes, header, Date.now());
 * if (!check.ok) check.reason; // 'malformed' | 'stale' | 'mismatch'
 */
export async function verifyStripeSignature(
  secret: string,
  body: Uint8Array<ArrayBuffer>,
  header: string | null | undefined,
  now: number,
  toleranceSeconds: number = STRIPE_TOLERANCE_SECONDS,
): Promise<StripeSignatureCheck> {
  if (!header || header.length > MAX_HEADER_LENGTH) return { ok: false, reason: 'malformed' };
  let timestamp: string | undefined;
  const macs: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(',')) {
    const [scheme, value = ''] = part.trim().split('=', 2);
    if (scheme === 't' && timestamp === undefined && /^\d{1,12}$/.test(value)) timestamp = value;
    if (scheme === 'v1') {
      const mac = value.length === 64 ? fromHex(value) : undefined;
      if (mac && macs.length < MAX_STRIPE_SIGNATURES) macs.push(mac);
    }
  }
  if (timestamp === undefined || macs.length === 0) return { ok: false, reason: 'malformed' };
  const seconds = Number(timestamp);
  if (Math.abs(now / 1000 - seconds) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  for (const mac of macs) {
    if (await anySecretSigned([secret], mac, signed)) return { ok: true, timestamp: seconds };
  }
  return { ok: false, reason: 'mismatch' };
}
