/**
 * `POST /events` through the real app in workerd, with a recording delivery
 * queue in place of the real one, so each test sees exactly the conversions
 * the edge would deliver (and that nothing raw is in them).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import { openAddress } from '../../edge/delivery/seal-address.ts';
import type { Env } from '../../edge/env.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { configOf, recordingQueue } from './hostile-harness.ts';

const SHOP = 'https://shop.example';
const EDGE = 'https://edge.example';
const PIXEL = 'evroute1';
const EMAIL_HASH = 'd360d510a224510f373931ce2d6215a799f5a9c1cef221b0149b6b6b50cced62';
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const NO_IDENTIFIER = {
  errors: [
    {
      code: 'INVALID_PARAMETER',
      message: 'At least one user identifier must be provided',
      parameter: '',
    },
  ],
};

const app = createApp('');

interface Sent {
  res: Response;
  body: Record<string, unknown>;
  conversions: XConversion[];
  messages: DeliveryMessage[];
}

/** Posts to the app with a recording queue; `envOverrides` change bindings for this call. */
async function post(
  init: { headers?: Record<string, string>; body?: string; method?: string },
  envOverrides: Partial<Env> = {},
): Promise<Sent> {
  const { queue, messages } = recordingQueue();
  const ctx = createExecutionContext();
  const testEnv: Env = { ...env, X_PIXEL_ID: PIXEL, DELIVERY_QUEUE: queue, ...envOverrides };
  const res = await app.fetch(
    new Request(`${EDGE}/events`, { method: 'POST', ...init }),
    testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  // The IP+UA identifier is queued sealed (edge/delivery/seal-address.ts): open it as the consumer does.
  const conversions = await Promise.all(
    messages.map((m) => openAddress(configOf(testEnv), m.pixelId, m.conversion, m.sealedAddress)),
  );
  return { res, body, messages, conversions };
}

/** A browser beacon: `text/plain` JSON from the shop. */
function beacon(payload: unknown, headers: Record<string, string> = {}) {
  return post({
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SHOP, ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/** A server call with the bearer key. */
function serverCall(payload: unknown, headers: Record<string, string> = {}) {
  return post({
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${TEST_ACCOUNT.serverKey}`,
      ...headers,
    },
    body: JSON.stringify(payload),
  });
}

const pixelCookie = (twclid: string) =>
  `_twclid=${encodeURIComponent(JSON.stringify({ twclid, timestamp: 1_700_000_000_000 }))}`;

describe('POST /events from a browser', () => {
  it('accepts a beacon: twclid from the cookie as is, email hashed, IP+UA together', async () => {
    const before = Date.now();
    const { res, body, conversions, messages } = await beacon(
      {
        event: 'purchase',
        email: '  Test@Twitter.com ',
        value: 20,
        currency: 'eur',
        number_items: 3,
        conversion_id: 'order-1001',
        description: 'Pet supplies',
      },
      {
        cookie: `other=1; ${pixelCookie(TWCLID)}`,
        'cf-connecting-ip': '203.0.113.7',
        'user-agent': 'Mozilla/5.0 test',
      },
    );
    expect(res.status).toBe(202);
    expect(body).toEqual({ accepted: 1, conversion_ids: ['order-1001'] });
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toContain('Origin');
    expect(messages).toHaveLength(1);
    expect(messages[0]?.pixelId).toBe(PIXEL);
    const [conversion] = conversions;
    expect(conversion).toEqual({
      conversion_time: expect.stringMatching(ISO_MS),
      event_id: 'o9d2g',
      identifiers: [
        { twclid: TWCLID },
        { hashed_email: EMAIL_HASH },
        { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 test' },
      ],
      conversion_id: 'order-1001',
      value: '20.00',
      price_currency: 'EUR',
      number_items: 3,
      description: 'Pet supplies',
    });
    const time = Date.parse(conversion?.conversion_time ?? '');
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
    expect(JSON.stringify(messages)).not.toMatch(/twitter\.com/i);
  });

  it('reads the bare cookie form and lets a twclid in the body win', async () => {
    const bare = await beacon({ event: 'lead' }, { cookie: `_twclid=${TWCLID}` });
    expect(bare.res.status).toBe(202);
    expect(bare.conversions[0]?.identifiers).toEqual([{ twclid: TWCLID }]);

    const both = await beacon(
      { event: 'lead', twclid: 'fromBody_1' },
      { cookie: `_twclid=${TWCLID}` },
    );
    expect(both.conversions[0]?.identifiers).toEqual([{ twclid: 'fromBody_1' }]);
  });

  it('ignores a malformed cookie but refuses a malformed twclid in the body', async () => {
    const cookie = await beacon(
      { event: 'lead', email: 'a@b.example' },
      { cookie: '_twclid=%7B%22twclid%22%3A%22bad%20id%22%7D' },
    );
    expect(cookie.res.status).toBe(202);
    expect(cookie.conversions[0]?.identifiers).toHaveLength(1);
    expect(cookie.conversions[0]?.identifiers[0]).toHaveProperty('hashed_email');

    const body = await beacon({ event: 'lead', twclid: 'bad id' });
    expect(body.res.status).toBe(400);
    expect(body.body).toEqual({
      errors: [
        {
          code: 'INVALID_PARAMETER',
          message: 'twclid must be 1-128 letters, digits, _ or -',
          parameter: 'twclid',
        },
      ],
    });
    expect(body.messages).toHaveLength(0);
  });

  it('hashes the phone as E.164 with the + using the default country', async () => {
    const { res, conversions } = await beacon({ event: 'signup', phone: '(415) 555-2671' });
    expect(res.status).toBe(202);
    // sha256("+14155552671"), computed with Node's crypto.
    expect(conversions[0]?.identifiers).toEqual([
      { hashed_phone_number: 'cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928' },
    ]);
  });

  it('answers 202 with gpc:true and forwards nothing on Sec-GPC: 1', async () => {
    const { res, body, messages } = await beacon(
      { event: 'purchase', email: 'a@b.example' },
      { 'sec-gpc': '1', cookie: pixelCookie(TWCLID) },
    );
    expect(res.status).toBe(202);
    expect(body).toMatchObject({ accepted: 0, conversion_ids: [], gpc: true });
    expect(String(body.message)).toContain('nothing was forwarded');
    expect(messages).toHaveLength(0);
  });

  it('accepts application/json the same as text/plain', async () => {
    const { res, conversions } = await post({
      headers: { 'content-type': 'application/json', origin: SHOP },
      body: JSON.stringify({ event: 'lead', twclid: TWCLID }),
    });
    expect(res.status).toBe(202);
    expect(conversions).toHaveLength(1);
  });

  it('accepts an HTML form and redirects 303 to a same-origin redirect', async () => {
    const form = new URLSearchParams({
      event: 'lead',
      email: 'Test@Twitter.com',
      phone: '',
      twclid: TWCLID,
      redirect: '/thanks?x=1',
    });
    const { res, conversions } = await post({
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SHOP },
      body: form.toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${SHOP}/thanks?x=1`);
    expect(conversions[0]?.identifiers).toEqual([{ twclid: TWCLID }, { hashed_email: EMAIL_HASH }]);
  });

  it('refuses a form redirect to another site (no open redirect) and sends nothing', async () => {
    for (const redirect of ['https://evil.example/', '//evil.example/x', 'javascript:alert(1)']) {
      const { res, body, messages } = await post({
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SHOP },
        body: new URLSearchParams({ event: 'lead', twclid: TWCLID, redirect }).toString(),
      });
      expect(res.status).toBe(400);
      expect(body).toMatchObject({ errors: [{ parameter: 'redirect' }] });
      expect(messages).toHaveLength(0);
    }
  });

  it('maps contents and formats amounts', async () => {
    const { res, conversions } = await beacon({
      event: 'purchase',
      twclid: TWCLID,
      value: '19.5',
      contents: [
        {
          content_id: '1',
          content_name: 'Blankets',
          content_type: 'Pet supplies',
          content_price: 100.99,
          num_items: 1,
          content_group_id: '123',
        },
        { content_id: '2' },
      ],
    });
    expect(res.status).toBe(202);
    expect(conversions[0]).toMatchObject({
      value: '19.50',
      contents: [
        {
          content_id: '1',
          content_name: 'Blankets',
          content_type: 'Pet supplies',
          content_price: 100.99,
          num_items: 1,
          content_group_id: '123',
        },
        { content_id: '2' },
      ],
    });
    expect(conversions[0]?.conversion_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('POST /events refuses bad input with 4xx in X shape', () => {
  it('415 for other content types', async () => {
    for (const type of ['application/xml', 'multipart/form-data; boundary=x', 'text/html']) {
      const { res, body } = await post({
        headers: { origin: SHOP, 'content-type': type },
        body: '{"event":"lead"}',
      });
      expect(res.status).toBe(415);
      expect(body).toMatchObject({ errors: [{ code: 'UNSUPPORTED_MEDIA_TYPE' }] });
    }
  });

  it('400 for malformed JSON', async () => {
    const { res, body } = await beacon('{"event": "lead",');
    expect(res.status).toBe(400);
    expect(body).toEqual({
      errors: [{ code: 'INVALID_REQUEST', message: 'Request body is not valid JSON' }],
    });
  });

  it('400 naming an unknown field, and __proto__ is just an unknown field', async () => {
    const typo = await beacon({ event: 'lead', twclid: TWCLID, emial: 'a@b.example' });
    expect(typo.res.status).toBe(400);
    expect(typo.body).toMatchObject({
      errors: [{ code: 'INVALID_PARAMETER', parameter: 'emial' }],
    });
    const message = (typo.body.errors as { message: string }[])[0]?.message;
    expect(message).toMatch(/^Unknown field "emial"; allowed fields are event, email, phone/);
    expect(message).not.toContain('a@b.example');

    for (const key of ['__proto__', 'constructor']) {
      const proto = await beacon(
        `{"event":"lead","twclid":"${TWCLID}","${key}":{"polluted":true,"prototype":{"polluted":true}}}`,
      );
      expect(proto.res.status).toBe(400);
      expect(proto.body).toMatchObject({ errors: [{ parameter: key }] });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('400 for JSON that is not an event object', async () => {
    for (const payload of ['[1]', 'null', '"purchase"', '42']) {
      const { res, body } = await beacon(payload);
      expect(res.status, payload).toBe(400);
      expect(body, payload).toMatchObject({
        errors: [{ code: 'INVALID_PARAMETER', message: 'Expected a JSON object' }],
      });
    }
  });

  it('400 for an event that is not configured', async () => {
    const { res, body } = await beacon({ event: 'refund', twclid: TWCLID });
    expect(res.status).toBe(400);
    expect(body).toEqual({
      errors: [
        {
          code: 'INVALID_PARAMETER',
          message: 'Unknown event: configured events are purchase, lead, signup',
          parameter: 'event',
        },
      ],
    });
  });

  it('400 when event is missing', async () => {
    const { res, body } = await beacon({ twclid: TWCLID });
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ errors: [{ parameter: 'event', message: 'event is required' }] });
  });

  it("400 with X's exact message when there is no identifier (IP+UA do not count alone)", async () => {
    const { res, body, messages } = await beacon(
      { event: 'purchase', value: 5 },
      { 'cf-connecting-ip': '203.0.113.7', 'user-agent': 'Mozilla/5.0 test' },
    );
    expect(res.status).toBe(400);
    expect(body).toEqual(NO_IDENTIFIER);
    expect(messages).toHaveLength(0);
  });

  it('400 for an invalid email or phone, without echoing it', async () => {
    const email = await beacon({ event: 'lead', email: 'jane.doe@nowhere' });
    expect(email.res.status).toBe(400);
    expect(email.body).toEqual({
      errors: [
        {
          code: 'INVALID_PARAMETER',
          message: 'email is not a valid email address',
          parameter: 'email',
        },
      ],
    });
    const phone = await beacon({ event: 'lead', phone: '555-CALL-JANE' });
    expect(phone.res.status).toBe(400);
    expect(phone.body).toMatchObject({ errors: [{ parameter: 'phone' }] });
    expect(JSON.stringify(phone.body)).not.toContain('JANE');
    const wrongType = await beacon({ event: 'lead', email: 12345678 });
    expect(wrongType.res.status).toBe(400);
    expect(JSON.stringify(wrongType.body)).not.toContain('12345678');
  });

  it('400 for bad amounts, currencies and counts', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ value: -1 }, 'value'],
      [{ value: '1e3' }, 'value'],
      [{ value: 2_000_000_000 }, 'value'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ currency: 'US' }, 'currency'],
      [{ number_items: 0 }, 'number_items'],
      [{ number_items: 1.5 }, 'number_items'],
      [{ conversion_id: 'has space' }, 'conversion_id'],
      [{ conversion_id: 'x'.repeat(65) }, 'conversion_id'],
      [{ description: 'd'.repeat(257) }, 'description'],
      [{ contents: Array.from({ length: 51 }, () => ({ content_id: '1' })) }, 'contents'],
      [{ contents: [{ content_id: '1', price: 3 }] }, 'contents[0].price'],
      [{ contents: [{ num_items: 0 }] }, 'contents[0].num_items'],
    ];
    for (const [fields, parameter] of cases) {
      const { res, body } = await beacon({ event: 'purchase', twclid: TWCLID, ...fields });
      expect(res.status, parameter).toBe(400);
      expect(body, parameter).toMatchObject({ errors: [{ code: 'INVALID_PARAMETER', parameter }] });
    }
  });

  it('answers each field with its own message, never the validator default', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ value: 'NaN' }, 'value', 'value must be a number or a numeric string such as "20.00"'],
      [{ value: '-2' }, 'value', 'value must be a number or a numeric string such as "20.00"'],
      [{ number_items: 'two' }, 'number_items', 'number_items must be a whole number'],
      [{ contents: [[]] }, 'contents[0]', 'Expected a JSON object'],
      [{ contents: [null] }, 'contents[0]', 'Expected a JSON object'],
      [
        { description: 'half \ud83d of a pair' },
        'description',
        'description must be well-formed Unicode',
      ],
    ];
    for (const [fields, parameter, message] of cases) {
      const { res, body } = await beacon({ event: 'purchase', twclid: TWCLID, ...fields });
      expect(res.status, parameter).toBe(400);
      expect(body, parameter).toEqual({
        errors: [{ code: 'INVALID_PARAMETER', message, parameter }],
      });
    }
  });

  it('413 for a browser body over 16 KB', async () => {
    const { res, body } = await beacon({
      event: 'lead',
      twclid: TWCLID,
      description: 'x'.repeat(17_000),
    });
    expect(res.status).toBe(413);
    expect(body).toMatchObject({ errors: [{ code: 'REQUEST_TOO_LARGE' }] });
  });

  it('400 when a browser call uses a server-only field, 403 for the batch form', async () => {
    for (const field of [
      'conversion_time',
      'ip_address',
      'user_agent',
      'hashed_email',
      'hashed_phone_number',
    ]) {
      const { res, body } = await beacon({ event: 'lead', twclid: TWCLID, [field]: 'x' });
      expect(res.status, field).toBe(400);
      expect(body).toEqual({
        errors: [
          {
            code: 'INVALID_PARAMETER',
            message: `${field} is accepted only on server calls (Authorization: Bearer SERVER_KEY)`,
            parameter: field,
          },
        ],
      });
    }
    const batch = await beacon({ events: [{ event: 'lead', twclid: TWCLID }] });
    expect(batch.res.status).toBe(403);
    expect(batch.body).toMatchObject({ errors: [{ code: 'FORBIDDEN', parameter: 'events' }] });
    expect(batch.messages).toHaveLength(0);
  });

  it('503 when the edge is misconfigured', async () => {
    const { res, body } = await post(
      { headers: { 'content-type': 'text/plain', origin: SHOP }, body: '{"event":"lead"}' },
      { X_EVENTS: '' },
    );
    expect(res.status).toBe(503);
    expect(body).toMatchObject({ errors: [{ code: 'SERVICE_UNAVAILABLE' }] });
  });
});

describe('POST /events origin policy', () => {
  it('403 in X shape for an origin outside ALLOWED_ORIGINS, or none at all', async () => {
    const refused: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      {},
      { origin: 'null', referer: `${SHOP}/` },
      { referer: 'https://evil.example/page' },
    ];
    for (const headers of refused) {
      const { res, body, messages } = await post({
        headers: { 'content-type': 'text/plain', ...headers },
        body: JSON.stringify({ event: 'lead', twclid: TWCLID }),
      });
      expect(res.status).toBe(403);
      expect(body).toMatchObject({ errors: [{ code: 'FORBIDDEN' }] });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(messages).toHaveLength(0);
    }
  });

  it('falls back to the Referer origin when there is no Origin', async () => {
    const { res } = await post({
      headers: { 'content-type': 'text/plain', referer: `${SHOP}/checkout?step=2` },
      body: JSON.stringify({ event: 'lead', twclid: TWCLID }),
    });
    expect(res.status).toBe(202);
  });

  it('treats Authorization: Basic (a site behind basic auth) as a browser call', async () => {
    const { res } = await post({
      headers: { 'content-type': 'text/plain', origin: SHOP, authorization: 'Basic dXNlcjpwdw==' },
      body: JSON.stringify({ event: 'lead', twclid: TWCLID }),
    });
    expect(res.status).toBe(202);
  });

  it('answers preflight only for allowed origins', async () => {
    const allowed = await post({
      method: 'OPTIONS',
      headers: {
        origin: SHOP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(allowed.res.status).toBe(204);
    expect(allowed.res.headers.get('vary')).toContain('Origin');
    expect(Object.fromEntries(allowed.res.headers)).toMatchObject({
      'access-control-allow-origin': SHOP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST,OPTIONS',
      'access-control-allow-headers': 'Content-Type,Authorization',
    });

    const refused = await post({
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(refused.res.status).toBe(403);
    expect(refused.res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('POST /events from a server', () => {
  it('accepts a batch without an origin, with server-only fields', async () => {
    const hour = new Date(Date.now() - 3_600_000);
    const { res, body, conversions } = await serverCall({
      events: [
        {
          event: 'purchase',
          conversion_time: hour.toISOString().replace('Z', '+00:00'),
          hashed_email: EMAIL_HASH.toUpperCase(),
          ip_address: '2001:db8::1',
          user_agent: 'Mozilla/5.0 server',
          conversion_id: 'order-1',
        },
        { event: 'lead', email: 'test@twitter.com', conversion_id: 'order-2' },
        { event: 'signup', twclid: TWCLID, conversion_id: 'order-3' },
      ],
    });
    expect(res.status).toBe(202);
    expect(body).toEqual({ accepted: 3, conversion_ids: ['order-1', 'order-2', 'order-3'] });
    expect(conversions.map((c) => c.event_id)).toEqual(['o9d2g', 'o9d2h', 'o9d2i']);
    expect(conversions[0]).toMatchObject({
      conversion_time: hour.toISOString(),
      identifiers: [
        { hashed_email: EMAIL_HASH },
        { ip_address: '2001:db8::1', user_agent: 'Mozilla/5.0 server' },
      ],
    });
    expect(conversions[1]?.identifiers).toEqual([{ hashed_email: EMAIL_HASH }]);
  });

  it('names the failing event in a batch', async () => {
    const { res, body, messages } = await serverCall({
      events: [
        { event: 'lead', twclid: TWCLID },
        { event: 'lead', hashed_phone_number: 'abc' },
      ],
    });
    expect(res.status).toBe(400);
    expect(body).toEqual({
      errors: [
        {
          code: 'INVALID_PARAMETER',
          message: 'hashed_phone_number is not a valid SHA-256 hash',
          parameter: 'events[1].hashed_phone_number',
        },
      ],
    });
    expect(messages).toHaveLength(0);
  });

  it('413 for a server body over 1 MB', async () => {
    const events = Array.from({ length: 500 }, () => ({
      event: 'lead',
      twclid: TWCLID,
      description: 'd'.repeat(250),
      contents: Array.from({ length: 10 }, () => ({ content_name: 'n'.repeat(250) })),
    }));
    const { res, body } = await serverCall({ events });
    expect(res.status).toBe(413);
    expect(body).toMatchObject({ errors: [{ code: 'REQUEST_TOO_LARGE' }] });
  });

  it('refuses more than 500 events like X does', async () => {
    const events = Array.from({ length: 501 }, () => ({ event: 'lead', twclid: TWCLID }));
    const { res, body } = await serverCall({ events });
    expect(res.status).toBe(400);
    expect(body).toMatchObject({
      errors: [{ message: 'Conversion count limit is 500', parameter: 'events' }],
    });
  });

  it('refuses a conversion_time too old or in the future', async () => {
    const old = new Date(Date.now() - 91 * 86_400_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    for (const time of [old, future, '2026-11-28 10:00:00']) {
      const { res, body } = await serverCall({
        event: 'lead',
        twclid: TWCLID,
        conversion_time: time,
      });
      expect(res.status, time).toBe(400);
      expect(body).toMatchObject({ errors: [{ parameter: 'conversion_time' }] });
    }
  });

  it('accepts ip_address without user_agent beside a click id (X allows either alone)', async () => {
    const { res, body, messages, conversions } = await serverCall({
      event: 'lead',
      twclid: TWCLID,
      ip_address: '192.0.2.1',
    });
    expect(res.status).toBe(202);
    expect(body).not.toHaveProperty('warnings');
    // Queued sealed, never in clear; opened as the consumer does.
    expect(messages[0]?.conversion.identifiers).toEqual([{ twclid: TWCLID }]);
    expect(conversions[0]?.identifiers).toEqual([{ twclid: TWCLID }, { ip_address: '192.0.2.1' }]);
  });

  it('401 for a wrong bearer key, even from an allowed origin', async () => {
    const { res, body, messages } = await serverCall(
      { event: 'lead', twclid: TWCLID },
      { authorization: 'Bearer wrong-key', origin: SHOP },
    );
    expect(res.status).toBe(401);
    expect(body).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });
    expect(JSON.stringify(body)).not.toContain(TEST_ACCOUNT.serverKey);
    expect(messages).toHaveLength(0);
  });

  it('ignores Sec-GPC on server calls (the backend decides)', async () => {
    const { res, body } = await serverCall({ event: 'lead', twclid: TWCLID }, { 'sec-gpc': '1' });
    expect(res.status).toBe(202);
    expect(body).toMatchObject({ accepted: 1 });
  });
});
