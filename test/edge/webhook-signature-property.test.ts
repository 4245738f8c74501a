/**
 * Property tests (fast-check) of the webhook signature checks in workerd,
 * against MACs computed independently with node:crypto (./webhook-signing.ts):
 * - a correct signature verifies, for any body and secret (liveness);
 * - any flipped bit, in the body or in the signature, is refused;
 * - a truncated or extended signature header is refused;
 * - a Stripe timestamp more than 300 s away (stale or future) is refused,
 *   one within it verifies;
 * - an empty secret never verifies anything, even a MAC made with it.
 * Seed: FC_SEED (vitest.config.ts), as in hostile-property.test.ts.
 */

import { env } from 'cloudflare:workers';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  STRIPE_TOLERANCE_SECONDS,
  verifyBase64Hmac,
  verifyStripeSignature,
} from '../../edge/webhooks/webhook-signature.ts';

const SEED = Number(env.FC_SEED ?? Date.now() % 2 ** 31);
const RUNS = { seed: SEED, numRuns: 200 };
const NOW_SECONDS = 1_796_033_700;

const body = fc.uint8Array({ minLength: 0, maxLength: 512 }).map((b) => new Uint8Array(b));
const secret = fc.string({ minLength: 1, maxLength: 80 });

function base64Mac(key: string, bytes: Uint8Array): string {
  return createHmac('sha256', key).update(bytes).digest('base64');
}

function stripeHeader(key: string, bytes: Uint8Array, seconds: number): string {
  const mac = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${seconds}.`), bytes]))
    .digest('hex');
  return `t=${seconds},v1=${mac}`;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes);
  const index = Math.floor(bit / 8) % copy.length;
  copy[index] = (copy[index] as number) ^ (1 << (bit % 8));
  return copy;
}

function flipHex(text: string, at: number, bit: number): string {
  const digit = Number.parseInt(text[at] as string, 16) ^ (1 << (bit % 4));
  return text.slice(0, at) + digit.toString(16) + text.slice(at + 1);
}

describe('base64 HMAC (Shopify, WooCommerce)', () => {
  it('verifies the MAC of any body under any secret', async () => {
    await fc.assert(
      fc.asyncProperty(body, secret, async (bytes, key) => {
        expect(await verifyBase64Hmac([key], bytes, base64Mac(key, bytes))).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses a body or a MAC with one bit flipped', async () => {
    await fc.assert(
      fc.asyncProperty(
        body.filter((b) => b.length > 0),
        secret,
        fc.nat(),
        async (bytes, key, bit) => {
          const mac = base64Mac(key, bytes);
          expect(await verifyBase64Hmac([key], flipBit(bytes, bit), mac)).toBe(false);
          const macBytes = Uint8Array.from(atob(mac), (c) => c.charCodeAt(0));
          const flipped = btoa(String.fromCharCode(...flipBit(macBytes, bit)));
          expect(await verifyBase64Hmac([key], bytes, flipped)).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('refuses a truncated or extended header, and a MAC under another secret', async () => {
    await fc.assert(
      // 44 characters, the last one `=` padding (optional): any cut below 43 loses MAC bits.
      fc.asyncProperty(body, secret, secret, fc.nat(42), async (bytes, key, other, cut) => {
        const mac = base64Mac(key, bytes);
        expect(await verifyBase64Hmac([key], bytes, mac.slice(0, cut))).toBe(false);
        expect(await verifyBase64Hmac([key], bytes, `${mac}AAAA`)).toBe(false);
        if (other !== key) {
          expect(await verifyBase64Hmac([other], bytes, mac)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('an empty secret never verifies, not even its own MAC', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        expect(await verifyBase64Hmac([''], bytes, base64Mac('', bytes))).toBe(false);
        expect(await verifyBase64Hmac([], bytes, base64Mac('', bytes))).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('Stripe-Signature', () => {
  const now = NOW_SECONDS * 1000;

  it('verifies within the tolerance, refuses beyond it (stale or future)', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        secret,
        fc.integer({ min: -STRIPE_TOLERANCE_SECONDS, max: STRIPE_TOLERANCE_SECONDS }),
        fc.integer({ min: STRIPE_TOLERANCE_SECONDS + 1, max: 10 * 365 * 86_400 }),
        fc.boolean(),
        async (bytes, key, within, beyond, future) => {
          const fresh = stripeHeader(key, bytes, NOW_SECONDS + within);
          expect(await verifyStripeSignature(key, bytes, fresh, now)).toMatchObject({ ok: true });
          const away = NOW_SECONDS + (future ? beyond : -beyond);
          const old = stripeHeader(key, bytes, away);
          expect(await verifyStripeSignature(key, bytes, old, now)).toEqual({
            ok: false,
            reason: 'stale',
          });
        },
      ),
      RUNS,
    );
  });

  it('refuses a flipped bit in the body, the MAC or the timestamp', async () => {
    await fc.assert(
      fc.asyncProperty(
        body.filter((b) => b.length > 0),
        secret,
        fc.nat(),
        fc.nat(63),
        async (bytes, key, bit, at) => {
          const header = stripeHeader(key, bytes, NOW_SECONDS);
          const flippedBody = await verifyStripeSignature(key, flipBit(bytes, bit), header, now);
          expect(flippedBody.ok).toBe(false);
          const [t, v1] = header.split(',') as [string, string];
          const mac = v1.slice(3);
          const flippedMac = `${t},v1=${flipHex(mac, at, bit)}`;
          expect((await verifyStripeSignature(key, bytes, flippedMac, now)).ok).toBe(false);
          // One second off is still fresh, but the MAC covers the timestamp.
          const shifted = `t=${NOW_SECONDS + 1},${v1}`;
          expect((await verifyStripeSignature(key, bytes, shifted, now)).ok).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('refuses any truncation of the header', async () => {
    await fc.assert(
      fc.asyncProperty(body, secret, fc.nat(), async (bytes, key, n) => {
        const header = stripeHeader(key, bytes, NOW_SECONDS);
        const cut = header.slice(0, n % header.length);
        expect((await verifyStripeSignature(key, bytes, cut, now)).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('an empty secret never verifies; a v0 alone is not a signature', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const header = stripeHeader('', bytes, NOW_SECONDS);
        expect((await verifyStripeSignature('', bytes, header, now)).ok).toBe(false);
        const v0 = header.replace('v1=', 'v0=');
        expect(await verifyStripeSignature('k', bytes, v0, now)).toEqual({
          ok: false,
          reason: 'malformed',
        });
      }),
      RUNS,
    );
  });
});
