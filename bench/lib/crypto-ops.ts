/**
 * @module
 * The per-conversion operations the crypto benchmark times, as the edge runs
 * them: the edge's own functions, called with realistic inputs. Shared by the
 * Node timing (bench/crypto-cost.ts) and the workerd timing
 * (bench/crypto-worker.ts), so both time exactly the same work.
 */
import { appFor } from '../../edge/app.ts';
import { parseConfig } from '../../edge/config.ts';
import type { Env } from '../../edge/env.ts';
import { hashEmail, hashPhone } from '../../edge/identity/hash-identifiers.ts';
import { normalizeEmail } from '../../edge/identity/normalize-email.ts';
import { normalizePhone } from '../../edge/identity/phone.ts';
import { buildConversion } from '../../edge/ingest/build-conversion.ts';
import { parseEvent } from '../../edge/ingest/event-schema.ts';
import { validateEvent } from '../../edge/ingest/validate-event.ts';
import { signOAuth1 } from '../../edge/x-api/sign-oauth1.ts';
import { TEST_ACCOUNT } from '../../test/fake-x/test-account.ts';
import {
  edgeVarsFor,
  PURCHASE_BEACON_BODY,
  PURCHASE_BEACON_HEADERS,
} from '../../test/rig/beacon.ts';
import minimalIngest from '../minimal-ingest.ts';

/** Names of the timed operations, in report order. */
export const CRYPTO_OPS = [
  'hashEmail',
  'hashPhone',
  'signOAuth1',
  'buildConversion',
  'validateAndBuild',
  'ingestBeacon',
  'minimalIngestBeacon',
] as const;

export type CryptoOp = (typeof CRYPTO_OPS)[number];

/** What each operation includes, for the report. */
export const CRYPTO_OP_DESCRIPTIONS: Record<CryptoOp, string> = {
  hashEmail: 'normalizeEmail (trim, lowercase, shape check) + SHA-256 hex (WebCrypto)',
  hashPhone:
    'normalizePhone (libphonenumber-js/min parse + possible-length check to E.164, default country US) + SHA-256 hex',
  signOAuth1:
    'OAuth 1.0a HMAC-SHA1 Authorization header for the conversions URL (CSPRNG nonce, WebCrypto HMAC)',
  buildConversion:
    'buildConversion for a purchase with email, phone, twclid, IP + user agent, value, currency (both hashes included)',
  validateAndBuild: 'validateEvent on the parsed JSON beacon: valibot schema, then buildConversion',
  ingestBeacon:
    "the edge's whole POST /events for the ingest benchmark's beacon (Hono app: CORS, rate limit with a stub binding, origin, body, schema, hashing, address sealing, 202 JSON), queue send stubbed",
  minimalIngestBeacon:
    "bench/minimal-ingest.ts's fetch for the same beacon (parse, hash the email, 202 JSON), queue send stubbed",
};

const RAW_EMAIL = ' Jane.Doe@Example.COM ';
const RAW_PHONE = '(415) 555-2671';

const configResult = parseConfig({
  X_PIXEL_ID: TEST_ACCOUNT.pixelId,
  X_EVENTS: JSON.stringify(TEST_ACCOUNT.events),
  ALLOWED_ORIGINS: 'https://shop.example',
  X_API_BASE_URL: 'https://ads-api.x.com',
  X_CONSUMER_KEY: TEST_ACCOUNT.consumerKey,
  X_CONSUMER_SECRET: TEST_ACCOUNT.consumerSecret,
  X_ACCESS_TOKEN: TEST_ACCOUNT.accessToken,
  X_ACCESS_TOKEN_SECRET: TEST_ACCOUNT.accessTokenSecret,
  QUEUE_SEAL_KEY: TEST_ACCOUNT.queueSealKey,
});
if (!configResult.ok) {
  throw new Error(`bench config is invalid: ${configResult.problems.join('; ')}`);
}
const config = configResult.config;
if (config.credentials.kind !== 'oauth1') throw new Error('bench config must use OAuth 1.0a');
const credentials = config.credentials;
const conversionsUrl = `https://ads-api.x.com/12/measurement/conversions/${TEST_ACCOUNT.pixelId}`;

const beacon = {
  event: 'purchase',
  email: RAW_EMAIL,
  phone: RAW_PHONE,
  value: 49.9,
  currency: 'EUR',
  number_items: 2,
  conversion_id: 'order-1042',
  twclid: '26al4tn7x9n5o40h6sd2ds3kbt',
};
const signals = {
  ipAddress: '203.0.113.7',
  userAgent:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};
const validated = parseEvent(beacon);
if (!validated.ok) throw new Error(`bench beacon is invalid: ${JSON.stringify(validated.errors)}`);
const event = validated.value;

/** Stands in for the queue bindings: the ingest ops time the Workers' own code, not the queue. */
const stubQueue = {
  async send() {},
  async sendBatch() {},
} as unknown as Queue;

/** The edge's environment as in the ingest benchmark, with stub queue and rate limiter. */
const edgeEnv = {
  ...edgeVarsFor('http://127.0.0.1:9'),
  DELIVERY_QUEUE: stubQueue,
  DEAD_LETTER_QUEUE: stubQueue,
  BROWSER_RATE_LIMITER: { limit: async () => ({ success: true }) },
} as unknown as Env;

let beaconNumber = 0;

/** The ingest benchmark's request, from a public client address (so the rate limit runs). */
function beaconRequest(): Request {
  beaconNumber++;
  return new Request('https://edge.example/events', {
    method: 'POST',
    headers: { ...PURCHASE_BEACON_HEADERS, 'cf-connecting-ip': '203.0.113.7' },
    body: PURCHASE_BEACON_BODY.replace('[<id>]', String(beaconNumber)),
  });
}

const noContext = {
  waitUntil() {},
  passThroughOnException() {},
  props: {},
} as unknown as ExecutionContext;

async function expectAccepted(response: Response): Promise<void> {
  const text = await response.text();
  if (response.status !== 202) throw new Error(`beacon got ${response.status}: ${text}`);
}

/** Runs one operation once, failing loudly if the edge rejected the input. */
export const runCryptoOp: Record<CryptoOp, () => Promise<unknown>> = {
  async hashEmail() {
    const email = normalizeEmail(RAW_EMAIL);
    if (!email) throw new Error('email did not normalize');
    return hashEmail(email);
  },
  async hashPhone() {
    const phone = normalizePhone(RAW_PHONE, config.phoneDefaultCountry);
    if (!phone) throw new Error('phone did not normalize');
    return hashPhone(phone);
  },
  signOAuth1() {
    return signOAuth1({ method: 'POST', url: conversionsUrl, credentials });
  },
  async buildConversion() {
    const outcome = await buildConversion(event, { rules: config, now: Date.now(), signals });
    if (!outcome.ok) throw new Error('beacon did not build');
    return outcome;
  },
  async validateAndBuild() {
    const outcome = await validateEvent(beacon, { rules: config, caller: 'browser', signals });
    if (!outcome.ok) throw new Error('beacon did not validate');
    return outcome;
  },
  async ingestBeacon() {
    await expectAccepted(await appFor(edgeEnv).fetch(beaconRequest(), edgeEnv, noContext));
  },
  async minimalIngestBeacon() {
    const request = beaconRequest() as Request<unknown, IncomingRequestCfProperties>;
    await expectAccepted(await minimalIngest.fetch(request, { INGEST_QUEUE: stubQueue }));
  },
};

/**
 * Runs `op` `iterations` times, one after the other (as one request would).
 *
 * @example
 * await repeatCryptoOp('hashEmail', 1000);
 */
export async function repeatCryptoOp(op: CryptoOp, iterations: number): Promise<void> {
  const run = runCryptoOp[op];
  for (let i = 0; i < iterations; i++) await run();
}

/** Whether a string names a timed operation. */
export function isCryptoOp(name: string | null): name is CryptoOp {
  return (CRYPTO_OPS as readonly string[]).includes(name ?? '');
}
