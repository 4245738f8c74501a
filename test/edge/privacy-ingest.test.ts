/**
 * No raw email, phone, IP address or secret leaves ingest: not in a log line
 * (every console method is captured), not in a queued message, not in an
 * answer; for valid and invalid input alike. An invalid email echoed in an
 * error message is a leak too: errors name the field, never quote the value.
 *
 * X takes `ip_address` in clear (next to `user_agent`), so the address must
 * reach the consumer; it travels sealed (AES-GCM, edge/delivery/seal-address.ts),
 * never readable on the queue. The tests open the seal as the consumer does.
 */
import { describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import { openAddress } from '../../edge/delivery/seal-address.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import {
  type CallSpec,
  captureConsole,
  configOf,
  createEdge,
  type Edge,
  isXErrorBody,
  recordingQueue,
  SERVER_KEY,
} from './hostile-harness.ts';

const EMAIL = 'Jane.Doe+Privacy@Example.com';
const PHONE = '+1 (650) 253-0000';
const IP = '198.51.100.77';
const IP6 = '2001:db8:feed:beef::77';
const UA = 'Mozilla/5.0 (privacy test)';

/** Every form of the personal data that must not show up, raw or normalized. */
const PERSONAL = [
  EMAIL,
  EMAIL.toLowerCase(),
  'jane.doe+privacy',
  PHONE,
  '+16502530000',
  '6502530000',
  '650) 253-0000',
];
const SECRETS = [
  SERVER_KEY,
  TEST_ACCOUNT.consumerSecret,
  TEST_ACCOUNT.accessToken,
  TEST_ACCOUNT.accessTokenSecret,
  TEST_ACCOUNT.pixelToken,
];

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

interface Observed {
  status: number;
  text: string;
  json: unknown;
  logs: string[];
  queued: DeliveryMessage[];
}

async function observe(edge: Edge, spec: CallSpec): Promise<Observed> {
  const before = edge.recorder.messages.length;
  const { result, logs } = await captureConsole(() => edge.call(spec));
  return { ...result, logs, queued: edge.recorder.messages.slice(before) };
}

function expectNoLeak(o: Observed, needles: readonly string[]): void {
  const places = {
    answer: o.text,
    logs: o.logs.join('\n'),
    queue: JSON.stringify(o.queued),
  };
  for (const [place, haystack] of Object.entries(places)) {
    for (const needle of needles) {
      expect(
        haystack.toLowerCase().includes(needle.toLowerCase()),
        `${place} contains "${needle}"`,
      ).toBe(false);
    }
  }
}

const browserHeaders = { 'cf-connecting-ip': IP, 'user-agent': UA };

describe('privacy at ingest: valid input', () => {
  const edge = createEdge();

  it('a browser call queues only hashes and a sealed IP + UA, logs nothing personal', async () => {
    const o = await observe(edge, {
      json: { event: 'purchase', email: EMAIL, phone: PHONE, value: 20, conversion_id: 'priv-1' },
      headers: browserHeaders,
    });
    expect(o.status).toBe(202);
    expectNoLeak(o, [...PERSONAL, ...SECRETS, IP]);
    expect(o.queued).toHaveLength(1);
    const message = o.queued[0] as DeliveryMessage;
    expect(message.sealedAddress).toEqual(expect.any(String));
    const opened = await openAddress(
      configOf(edge.env),
      message.pixelId,
      message.conversion,
      message.sealedAddress,
    );
    expect(opened.identifiers).toEqual(
      expect.arrayContaining([
        { hashed_email: await sha256Hex(EMAIL.trim().toLowerCase()) },
        { hashed_phone_number: await sha256Hex('+16502530000') },
        { ip_address: IP, user_agent: UA },
      ]),
    );
  });

  it('an IPv6 client address is treated the same', async () => {
    const o = await observe(edge, {
      json: { event: 'lead', email: EMAIL },
      headers: { ...browserHeaders, 'cf-connecting-ip': IP6 },
    });
    expect(o.status).toBe(202);
    expectNoLeak(o, [...PERSONAL, IP6]);
  });

  it('a server call with email, phone and ip_address in the body: same rules', async () => {
    const o = await observe(edge, {
      server: true,
      origin: null,
      json: {
        events: [
          { event: 'purchase', email: EMAIL, ip_address: IP, user_agent: UA },
          { event: 'lead', phone: PHONE },
        ],
      },
    });
    expect(o.status).toBe(202);
    expect(o.queued).toHaveLength(2);
    expectNoLeak(o, [...PERSONAL, ...SECRETS, IP]);
  });

  it('an HTML form post: same rules', async () => {
    const o = await observe(edge, {
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ event: 'lead', email: EMAIL, phone: PHONE }).toString(),
      headers: browserHeaders,
    });
    expect(o.status).toBe(202);
    expectNoLeak(o, [...PERSONAL, IP]);
  });
});

/** Invalid inputs that carry personal data; each must be refused without quoting it. */
const INVALID: Array<{ name: string; spec: CallSpec; needles: string[] }> = [
  {
    name: 'email without a top-level domain',
    spec: { json: { event: 'purchase', email: 'jane.doe.leak@examplecom' } },
    needles: ['jane.doe.leak', 'examplecom'],
  },
  {
    name: 'email with a space',
    spec: { json: { event: 'purchase', email: 'jane doe.leak@example.com' } },
    needles: ['jane doe.leak', 'doe.leak@example.com'],
  },
  {
    name: 'email over the cap',
    spec: { json: { event: 'purchase', email: `jane.doe.leak${'x'.repeat(320)}@example.com` } },
    needles: ['jane.doe.leak'],
  },
  {
    name: 'email as an array',
    spec: { json: { event: 'purchase', email: ['jane.doe.leak@example.com'] } },
    needles: ['jane.doe.leak'],
  },
  {
    name: 'phone that is not a number',
    spec: { json: { event: 'purchase', phone: '+1 650 253 0000 9999 leak' } },
    needles: ['0000 9999', 'leak'],
  },
  {
    name: 'phone too short',
    spec: { json: { event: 'purchase', phone: '253-0199' } },
    needles: ['253-0199', '2530199'],
  },
  {
    name: 'email under a misspelt field name',
    spec: { json: { event: 'purchase', emial: 'jane.doe.leak@example.com' } },
    needles: ['jane.doe.leak'],
  },
  {
    name: 'email and hashed_email together (server)',
    spec: {
      server: true,
      origin: null,
      json: { event: 'purchase', email: 'jane.doe.leak@example.com', hashed_email: 'a'.repeat(64) },
    },
    needles: ['jane.doe.leak'],
  },
  {
    name: 'invalid email in the middle of a batch (server)',
    spec: {
      server: true,
      origin: null,
      json: {
        events: [
          { event: 'purchase', email: 'ok@example.com' },
          { event: 'lead', email: 'jane.doe.leak@' },
        ],
      },
    },
    needles: ['jane.doe.leak', 'ok@example.com'],
  },
  {
    name: 'browser sends ip_address in the body',
    spec: { json: { event: 'purchase', email: 'ok@example.com', ip_address: '203.0.113.99' } },
    needles: ['203.0.113.99', 'ok@example.com'],
  },
  {
    name: 'server call with a malformed ip_address and nothing else to match on',
    spec: {
      server: true,
      origin: null,
      json: {
        event: 'purchase',
        ip_address: '203.0.113.999',
        user_agent: UA,
      },
    },
    needles: ['203.0.113.999'],
  },
  {
    name: 'hashed_email that is really a raw email (server)',
    spec: {
      server: true,
      origin: null,
      json: { event: 'purchase', hashed_email: 'jane.doe.leak@example.com' },
    },
    needles: ['jane.doe.leak'],
  },
  {
    name: 'form with an invalid email',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: 'event=lead&email=jane.doe.leak%40nowhere',
    },
    needles: ['jane.doe.leak', 'nowhere'],
  },
  {
    name: 'malformed JSON around an email',
    spec: { body: '{"event":"purchase","email":"jane.doe.leak@example.com"' },
    needles: ['jane.doe.leak'],
  },
  {
    name: 'an email sent as the event name',
    spec: { json: { event: 'jane.doe.leak@example.com', email: 'ok@example.com' } },
    needles: ['jane.doe.leak', 'ok@example.com'],
  },
  {
    name: 'wrong bearer key',
    spec: {
      authorization: `Bearer ${SERVER_KEY.slice(0, -2)}`,
      origin: null,
      json: { event: 'purchase' },
    },
    needles: [SERVER_KEY.slice(0, -2)],
  },
];

describe('privacy at ingest: invalid input is refused without quoting it', () => {
  const edge = createEdge();

  for (const row of INVALID) {
    it(row.name, async () => {
      const o = await observe(edge, {
        ...row.spec,
        headers: { ...browserHeaders, ...row.spec.headers },
      });
      expect(o.status).toBeGreaterThanOrEqual(400);
      expect(o.status).toBeLessThan(500);
      expect(isXErrorBody(o.json), o.text).toBe(true);
      expect(o.queued).toEqual([]);
      expectNoLeak(o, [...row.needles, ...SECRETS, IP]);
    });
  }
});

describe('privacy at ingest: failures on our side', () => {
  it('a delivery queue that refuses messages: 503, and the log line holds no personal data', async () => {
    const edge = createEdge({ DELIVERY_QUEUE: recordingQueue({ refuse: true }).queue });
    const o = await observe(edge, {
      json: { event: 'purchase', email: EMAIL, phone: PHONE },
      headers: browserHeaders,
    });
    expect(o.status).toBe(503);
    expect(isXErrorBody(o.json)).toBe(true);
    expect(o.logs.length).toBeGreaterThan(0);
    expectNoLeak(o, [...PERSONAL, ...SECRETS, IP]);
  });

  it('a misconfiguration answer and log name the problem, never a secret value', async () => {
    // Half an OAuth setup: the secrets are there, the keys are not.
    const edge = createEdge({
      X_CONSUMER_KEY: undefined,
      X_ACCESS_TOKEN: undefined,
      X_PIXEL_ID: 'not a pixel id!',
    });
    const o = await observe(edge, {
      json: { event: 'purchase', email: EMAIL },
      headers: browserHeaders,
    });
    expect(o.status).toBe(503);
    expect(isXErrorBody(o.json)).toBe(true);
    expectNoLeak(o, [...PERSONAL, ...SECRETS, IP]);
  });

  it('GET /health, with a valid and a broken configuration, shows no secret value', async () => {
    for (const overrides of [{}, { X_CONSUMER_KEY: undefined, X_PIXEL_ID: '' }]) {
      const edge = createEdge(overrides);
      const { result: res, logs } = await captureConsole(() =>
        edge.fetch(new Request('https://edge.example/health')),
      );
      const text = await res.text();
      // 503 is how health reports a broken configuration.
      expect([200, 503]).toContain(res.status);
      for (const secret of SECRETS) {
        expect(text).not.toContain(secret);
        expect(logs.join('\n')).not.toContain(secret);
      }
    }
  });

  it('the rate limiter logs no address when the binding fails', async () => {
    const edge = createEdge({
      BROWSER_RATE_LIMITER: {
        limit: async ({ key }) => {
          throw new Error(`limiter down for ${key}`);
        },
      },
    });
    const o = await observe(edge, {
      json: { event: 'purchase', email: EMAIL },
      headers: browserHeaders,
    });
    expect(o.status).toBe(202);
    expect(o.logs.some((l) => l.includes('rate limiter failed'))).toBe(true);
    expectNoLeak(o, [...PERSONAL, IP]);
  });
});
