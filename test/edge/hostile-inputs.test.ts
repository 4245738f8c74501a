/**
 * A table of hostile inputs to `POST /events`, each with the answer it must
 * get: status, X error code, the parameter blamed, and a message fragment
 * where the wording matters. Every row also checks the cross-cutting rules:
 * never a 5xx, every answer in X's error shape (or the 202/303 shape), and
 * nothing queued for X unless the row expects it (and then exactly what it
 * expects).
 *
 * Runs the real app in workerd with the test project's configuration
 * (pixel o9d7n, events purchase/lead/signup, ALLOWED_ORIGINS
 * https://shop.example); the delivery queue is a recorder (./hostile-harness.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import { BROWSER_BODY_LIMIT_BYTES, SERVER_BODY_LIMIT_BYTES } from '../../edge/ingest/parse-body.ts';
import {
  ALLOWED_ORIGIN,
  type CallSpec,
  createEdge,
  isAcceptedBody,
  isXErrorBody,
  SERVER_KEY,
  VALID_EVENT,
} from './hostile-harness.ts';

interface Row {
  name: string;
  spec: CallSpec;
  status: number;
  /** Code of the first error. */
  code?: string;
  /** Some error blames this parameter. */
  parameter?: string;
  /** Fragment of some error's message. */
  message?: string;
  /** 202 rows: how many conversions must be queued (default: the `accepted` count, at least 1). */
  queued?: number;
  /** Extra checks on what was queued. */
  check?: (queued: DeliveryMessage[]) => void;
  /** The answer lists exactly this many errors. */
  errorCount?: number;
  /** 202 rows: the answer warns that this parameter was dropped (message fragment in `message`). */
  dropped?: string;
}

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const browser = (json: unknown, extra: CallSpec = {}): CallSpec => ({ json, ...extra });
const server = (json: unknown, extra: CallSpec = {}): CallSpec => ({
  json,
  server: true,
  origin: null,
  ...extra,
});
/** The valid event with one field replaced (or removed with `undefined`). */
const withField = (field: string, value: unknown): Record<string, unknown> => {
  const event: Record<string, unknown> = { ...VALID_EVENT };
  if (value === undefined) delete event[field];
  else event[field] = value;
  return event;
};
const bad = (
  name: string,
  field: string,
  value: unknown,
  message?: string,
  parameter = field,
): Row => ({
  name,
  spec: browser(withField(field, value)),
  status: 400,
  code: 'INVALID_PARAMETER',
  parameter,
  ...(message ? { message } : {}),
});
/** An unusable optional identifier beside the valid event's email: dropped, said in a warning. */
const dropped = (name: string, field: string, value: unknown, message?: string): Row => ({
  name,
  spec: browser(withField(field, value)),
  status: 202,
  dropped: field,
  ...(message ? { message } : {}),
});
const iso = (ms: number) => new Date(ms).toISOString();
const serverEvent = (extra: Record<string, unknown>) => ({
  event: 'purchase',
  hashed_email: 'a'.repeat(64),
  ...extra,
});
const nested = (depth: number, leaf = '0') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
/** A stream of `bytes` bytes of JSON-ish text, with no Content-Length. */
const streamOf = (bytes: number) => () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      const chunk = new TextEncoder().encode(' '.repeat(1024));
      for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
        controller.enqueue(chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent)));
      }
      controller.close();
    },
  });
const eventIdOf = (m: DeliveryMessage | undefined) => m?.conversion.event_id;
const hasTwclid = (m: DeliveryMessage | undefined) =>
  m?.conversion.identifiers.some((i) => 'twclid' in i) ?? false;

const rows: Row[] = [
  // --- baselines: the table's 4xx rows differ from these in one thing only ---
  { name: 'valid browser beacon', spec: browser(VALID_EVENT), status: 202 },
  {
    name: 'valid server call',
    spec: server({ ...VALID_EVENT, conversion_time: iso(Date.now() - HOUR) }),
    status: 202,
  },

  // --- wrong types, every field ---
  bad('event: number', 'event', 123, 'event must be a string'),
  bad('event: null', 'event', null, 'event must be a string'),
  bad('event: array', 'event', ['purchase'], 'event must be a string'),
  bad('event: object', 'event', { name: 'purchase' }, 'event must be a string'),
  bad('event: missing', 'event', undefined, 'event is required'),
  bad('email: number', 'email', 42, 'email must be a string'),
  bad('email: boolean', 'email', true, 'email must be a string'),
  bad('email: null', 'email', null, 'email must be a string'),
  bad('email: operator object', 'email', { $gt: '' }, 'email must be a string'),
  bad(
    'email: array of emails',
    'email',
    ['a@example.com', 'b@example.com'],
    'email must be a string',
  ),
  dropped('phone: number', 'phone', 14155552671, 'phone must be a string'),
  dropped('phone: object', 'phone', { number: '+14155552671' }, 'phone must be a string'),
  bad('value: boolean', 'value', true, 'value must be a number or a numeric string'),
  bad('value: array', 'value', [20], 'value must be a number or a numeric string'),
  bad('value: object', 'value', { amount: 20 }, 'value must be a number or a numeric string'),
  bad('value: null', 'value', null, 'value must be a number or a numeric string'),
  bad('currency: number', 'currency', 840, 'currency must be a string'),
  bad('currency: array', 'currency', ['USD'], 'currency must be a string'),
  bad('number_items: boolean', 'number_items', true, 'number_items must be a whole number'),
  bad('number_items: word', 'number_items', 'two', 'number_items must be a whole number'),
  bad('conversion_id: number', 'conversion_id', 1001, 'conversion_id must be a string'),
  bad('conversion_id: object', 'conversion_id', { id: 1 }, 'conversion_id must be a string'),
  bad('description: number', 'description', 5, 'description must be a string'),
  bad('description: array', 'description', ['a', 'b'], 'description must be a string'),
  bad('contents: string', 'contents', 'sku-1', 'contents must be an array'),
  bad('contents: object', 'contents', { content_id: 'sku-1' }, 'contents must be an array'),
  dropped('twclid: number', 'twclid', 123456, 'twclid must be a string'),
  dropped('twclid: array', 'twclid', [TWCLID], 'twclid must be a string'),

  // --- contents items ---
  bad('contents item: number', 'contents', [1], 'Expected a JSON object', 'contents[0]'),
  bad('contents item: null', 'contents', [null], 'Expected a JSON object', 'contents[0]'),
  bad('contents item: string', 'contents', ['sku-1'], 'Expected a JSON object', 'contents[0]'),
  bad('contents item: nested array', 'contents', [[{ content_id: 'a' }]], undefined, 'contents[0]'),
  bad('contents item: empty array', 'contents', [[]], 'Expected a JSON object', 'contents[0]'),
  {
    ...bad('content_id: number', 'contents', [{ content_id: 7 }], 'content_id must be a string'),
    parameter: 'contents[0].content_id',
  },
  {
    ...bad('content_price: string word', 'contents', [{ content_price: 'free' }]),
    parameter: 'contents[0].content_price',
  },
  {
    ...bad('content_price: negative', 'contents', [{ content_price: -5 }], 'must not be negative'),
    parameter: 'contents[0].content_price',
  },
  {
    ...bad('num_items: 0', 'contents', [{ num_items: 0 }], 'num_items must be at least 1'),
    parameter: 'contents[0].num_items',
  },
  {
    ...bad(
      'num_items: fraction',
      'contents',
      [{ num_items: 2.5 }],
      'num_items must be a whole number',
    ),
    parameter: 'contents[0].num_items',
  },
  {
    ...bad('content item: unknown field', 'contents', [{ sku: 'a' }], 'Unknown field "sku"'),
    parameter: 'contents[0].sku',
  },
  bad(
    'contents: 51 items (cap 50)',
    'contents',
    Array.from({ length: 51 }, (_, i) => ({ content_id: `sku-${i}` })),
    'contents must have at most 50 items',
  ),
  {
    name: 'contents: 8,000 numbers: only the cap is reported, the items are never looked at',
    spec: browser(undefined, {
      body: `{"event":"purchase","email":"a@example.com","contents":[${Array(8000).fill('1').join(',')}]}`,
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'contents',
    message: 'contents must have at most 50 items',
    errorCount: 1,
  },
  {
    name: 'server batch of 20,000 numbers: only the count limit is reported',
    spec: server(undefined, { body: `{"events":[${Array(20_000).fill('1').join(',')}]}` }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'events',
    message: 'Conversion count limit is 500',
    errorCount: 1,
  },
  {
    name: 'contents: 50 items (at the cap)',
    spec: browser(
      withField(
        'contents',
        Array.from({ length: 50 }, (_, i) => ({ content_id: `sku-${i}`, num_items: 1 })),
      ),
    ),
    status: 202,
    check: (q) => expect(q[0]?.conversion.contents).toHaveLength(50),
  },
  {
    name: 'emoji in description and content_name are fine',
    spec: browser({
      ...withField('description', 'Gift 🎁 for mum ❤️'),
      contents: [{ content_name: 'T-shirt 👕 size M' }],
    }),
    status: 202,
    check: (q) => expect(q[0]?.conversion.description).toBe('Gift 🎁 for mum ❤️'),
  },

  // --- each field's cap + 1 ---
  bad('event: 65 characters', 'event', 'e'.repeat(65), 'event must be at most 64 characters'),
  bad(
    'email: 321 characters',
    'email',
    `${'a'.repeat(309)}@example.com`,
    'email must be at most 320',
  ),
  bad(
    'email: 255 characters (over RFC 5321)',
    'email',
    `${'a'.repeat(243)}@example.com`,
    'not a valid email',
  ),
  dropped('phone: 41 characters', 'phone', `+1${'5'.repeat(39)}`, 'phone must be at most 40'),
  bad(
    'description: 257 characters',
    'description',
    'd'.repeat(257),
    'description must be at most 256',
  ),
  bad(
    'conversion_id: 65 characters',
    'conversion_id',
    'c'.repeat(65),
    'conversion_id must be 1-64',
  ),
  dropped('twclid: 129 characters', 'twclid', 't'.repeat(129), 'twclid must be 1-128'),
  {
    ...bad(
      'content_id: 129 characters',
      'contents',
      [{ content_id: 'i'.repeat(129) }],
      'at most 128',
    ),
    parameter: 'contents[0].content_id',
  },
  {
    ...bad(
      'content_name: 257 characters',
      'contents',
      [{ content_name: 'n'.repeat(257) }],
      'at most 256',
    ),
    parameter: 'contents[0].content_name',
  },
  {
    ...bad(
      'content_type: 129 characters',
      'contents',
      [{ content_type: 't'.repeat(129) }],
      'at most 128',
    ),
    parameter: 'contents[0].content_type',
  },
  {
    ...bad(
      'content_group_id: 129 characters',
      'contents',
      [{ content_group_id: 'g'.repeat(129) }],
      'at most 128',
    ),
    parameter: 'contents[0].content_group_id',
  },
  {
    name: 'user_agent: 513 characters (server) is dropped, the IP still sent',
    spec: server(serverEvent({ ip_address: '203.0.113.9', user_agent: 'u'.repeat(513) })),
    status: 202,
    dropped: 'user_agent',
    message: 'at most 512',
  },
  {
    name: 'ip_address: 46 characters (server) is dropped',
    spec: server(serverEvent({ ip_address: `${'1'.repeat(46)}`, user_agent: 'Mozilla/5.0' })),
    status: 202,
    dropped: 'ip_address',
  },
  {
    name: 'description: 256 characters (at the cap)',
    spec: browser(withField('description', 'd'.repeat(256))),
    status: 202,
  },

  // --- numbers out of range ---
  bad('value: negative', 'value', -1, 'value must not be negative'),
  bad('value: negative string', 'value', '-20.00', 'value must be a number or a numeric string'),
  bad('value: "NaN"', 'value', 'NaN', 'value must be a number or a numeric string'),
  bad('value: "Infinity"', 'value', 'Infinity', 'value must be a number or a numeric string'),
  bad('value: exponent string', 'value', '1e3', 'value must be a number or a numeric string'),
  bad('value: over the maximum', 'value', 1_000_000_001, 'value must be at most 1000000000'),
  bad('value: 1e308', 'value', 1e308, 'value must be at most'),
  {
    name: 'value: 1e309 (JSON.parse makes Infinity)',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"shopper@example.com","value":1e309}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'value',
  },
  {
    name: 'value: -0 is zero, accepted',
    spec: browser(undefined, { body: '{"event":"purchase","email":"a@example.com","value":-0}' }),
    status: 202,
    check: (q) => expect(q[0]?.conversion.value).toBe('0.00'),
  },
  {
    name: 'value: "20.00" string, as forms send it',
    spec: browser(withField('value', '20.00')),
    status: 202,
    check: (q) => expect(q[0]?.conversion.value).toBe('20.00'),
  },
  bad('number_items: 0', 'number_items', 0, 'number_items must be at least 1'),
  bad('number_items: -1', 'number_items', -1, 'number_items must be at least 1'),
  bad('number_items: 1.5', 'number_items', 1.5, 'number_items must be a whole number'),
  bad('number_items: "1.5"', 'number_items', '1.5', 'number_items must be a whole number'),
  bad('number_items: 100001', 'number_items', 100_001, 'number_items must be at most 100000'),
  {
    name: 'number_items: 1e309',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","number_items":1e309}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'number_items',
  },

  // --- unicode ---
  {
    name: 'email with an IDN domain is a real address: accepted, hashed',
    spec: browser(withField('email', 'käufer@bücher.example')),
    status: 202,
    check: (q) =>
      expect(q[0]?.conversion.identifiers).toContainEqual({
        hashed_email: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
  },
  bad('email with RTL override', 'email', 'shopper\u202e@example.com', 'not a valid email'),
  bad('email with zero-width space', 'email', 'shop\u200bper@example.com', 'not a valid email'),
  bad('email with NUL', 'email', 'shopper\u0000@example.com', 'not a valid email'),
  bad('email with a lone surrogate', 'email', 'shopper\ud800@example.com', 'not a valid email'),
  {
    name: 'description with a lone surrogate',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","description":"half \\ud83d of a pair"}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'description',
  },
  bad('event with zero-width space', 'event', 'purchase\u200b', 'Unknown event'),
  bad('event in full-width letters', 'event', 'ｐｕｒｃｈａｓｅ', 'Unknown event'),
  {
    name: 'invalid UTF-8 bytes inside a string become U+FFFD, not an error',
    spec: browser(undefined, {
      body: new Uint8Array([
        ...new TextEncoder().encode('{"event":"purchase","email":"a@example.com","description":"x'),
        0xff,
        0xfe,
        ...new TextEncoder().encode('"}'),
      ]),
    }),
    status: 202,
    check: (q) => expect(q[0]?.conversion.description).toBe('x\ufffd\ufffd'),
  },

  // --- invalid emails and phones ---
  bad('email: empty', 'email', '', 'email must not be empty'),
  bad('email: no @', 'email', 'plainaddress', 'email is not a valid email address'),
  bad('email: no local part', 'email', '@example.com', 'email is not a valid email address'),
  bad('email: no domain', 'email', 'shopper@', 'email is not a valid email address'),
  bad('email: dotless domain', 'email', 'shopper@localhost', 'email is not a valid email address'),
  bad('email: two @', 'email', 'a@@example.com', 'email is not a valid email address'),
  bad('email: space inside', 'email', 'shop per@example.com', 'email is not a valid email address'),
  bad('email: empty label', 'email', 'shopper@example..com', 'email is not a valid email address'),
  dropped('phone: words', 'phone', 'call me maybe', 'phone is not a valid phone number'),
  dropped('phone: too short', 'phone', '123', 'phone is not a valid phone number'),
  dropped('phone: country code only', 'phone', '+1', 'phone is not a valid phone number'),
  dropped(
    'phone: unknown country code',
    'phone',
    '+999 1234 5678',
    'phone is not a valid phone number',
  ),
  dropped('phone: empty', 'phone', '', 'phone must not be empty'),
  {
    name: 'phone: national US number with punctuation is normalized',
    spec: browser(withField('phone', '(415) 555-2671')),
    status: 202,
  },

  // --- nested junk ---
  {
    name: 'body: 8000 nested arrays (browser)',
    spec: browser(undefined, { body: nested(8000) }),
    status: 400,
    code: 'INVALID_PARAMETER',
    message: 'Expected a JSON object',
  },
  {
    name: 'body: 200000 nested arrays (server)',
    spec: server(undefined, { body: nested(200_000) }),
    status: 400,
  },
  {
    name: 'deeply nested junk in an unknown field',
    spec: browser(undefined, {
      body: `{"event":"purchase","email":"a@example.com","junk":${nested(5000, '{}')}}`,
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'junk',
    message: 'Unknown field "junk"',
  },
  bad(
    'deeply nested value in a string field',
    'description',
    JSON.parse(nested(500)),
    'description must be a string',
  ),
  bad('unknown field (typo of email)', 'emial', 'a@example.com', 'Unknown field "emial"'),

  // --- prototype keys: unknown fields, and nothing polluted ---
  {
    name: '__proto__ key in the event',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","__proto__":{"polluted":"yes"}}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: '__proto__',
    message: 'Unknown field',
  },
  {
    name: 'constructor.prototype key in the event',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","constructor":{"prototype":{"polluted":"yes"}}}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'constructor',
  },
  {
    name: 'prototype key in the event',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","prototype":{"polluted":"yes"}}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'prototype',
  },
  {
    name: '__proto__ key in a contents item',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","contents":[{"__proto__":{"polluted":"yes"}}]}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'contents[0].__proto__',
  },
  {
    name: '__proto__ key beside a server batch',
    spec: server(undefined, {
      body: `{"events":[${JSON.stringify(serverEvent({}))}],"__proto__":{"polluted":"yes"}}`,
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: '__proto__',
  },
  {
    name: '__proto__ field in an HTML form',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: 'event=purchase&email=a%40example.com&__proto__%5Bpolluted%5D=yes&__proto__=x',
    },
    status: 400,
    code: 'INVALID_PARAMETER',
    message: 'Unknown field',
  },
  bad('event named __proto__', 'event', '__proto__', 'Unknown event'),
  bad('event named constructor', 'event', 'constructor', 'Unknown event'),
  bad('event named toString', 'event', 'toString', 'Unknown event'),

  // --- duplicate keys: JSON.parse keeps the last, and the last is what is judged ---
  {
    name: 'duplicate event: the last one (lead) is used',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","event":"lead"}',
    }),
    status: 202,
    check: (q) => expect(eventIdOf(q[0])).toBe('o9d2h'),
  },
  {
    name: 'duplicate value: a valid first one does not hide a negative last one',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","value":20,"value":-5}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'value',
  },
  {
    name: 'duplicate email: a valid first one does not hide an invalid last one',
    spec: browser(undefined, {
      body: '{"event":"purchase","email":"a@example.com","email":"not-an-email"}',
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'email',
  },

  // --- content types, malformed and empty bodies, size caps ---
  ...[
    'application/xml',
    'text/html',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/ld+json',
    'application/jsonp',
    'text/csv',
  ].map(
    (contentType): Row => ({
      name: `Content-Type ${contentType}`,
      spec: browser(VALID_EVENT, { contentType }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    }),
  ),
  {
    name: 'no Content-Type at all',
    spec: browser(VALID_EVENT, { contentType: null }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'Content-Type in capitals with a charset is still JSON',
    spec: browser(VALID_EVENT, { contentType: 'APPLICATION/JSON; Charset=UTF-8' }),
    status: 202,
  },
  ...[
    '{',
    '{"event":}',
    "{'event':'purchase'}",
    '{"event":"purchase",}',
    'NaN',
    'undefined',
    '<xml/>',
    'event=purchase',
  ].map(
    (body): Row => ({
      name: `malformed JSON: ${body}`,
      spec: browser(undefined, { body }),
      status: 400,
      code: 'INVALID_REQUEST',
      message: 'not valid JSON',
    }),
  ),
  ...(['null', '42', '"purchase"', 'true', '[]', `[${JSON.stringify(VALID_EVENT)}]`] as const).map(
    (body): Row => ({
      name: `JSON that is not an object: ${body.slice(0, 20)}`,
      spec: browser(undefined, { body }),
      status: 400,
      code: 'INVALID_PARAMETER',
      message: 'Expected a JSON object',
    }),
  ),
  {
    name: 'empty body (text/plain)',
    spec: browser(undefined, { body: '' }),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'not valid JSON',
  },
  {
    name: 'empty object',
    spec: browser({}),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'event',
    message: 'event is required',
  },
  {
    name: 'empty form',
    spec: { contentType: 'application/x-www-form-urlencoded', body: '' },
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'event',
  },
  {
    name: 'JSON with a byte order mark is read as JSON',
    spec: browser(undefined, { body: `\ufeff${JSON.stringify(VALID_EVENT)}` }),
    status: 202,
  },
  {
    name: `browser body of ${BROWSER_BODY_LIMIT_BYTES + 1} bytes`,
    spec: browser(undefined, {
      body: JSON.stringify({ ...VALID_EVENT, description: 'd' }).padEnd(
        BROWSER_BODY_LIMIT_BYTES + 1,
        ' ',
      ),
    }),
    status: 413,
    code: 'REQUEST_TOO_LARGE',
  },
  {
    name: 'browser body streamed past the cap without Content-Length',
    spec: browser(undefined, { body: streamOf(BROWSER_BODY_LIMIT_BYTES * 4) }),
    status: 413,
    code: 'REQUEST_TOO_LARGE',
  },
  {
    name: 'browser body just under the cap is read (then judged)',
    spec: browser(undefined, {
      body: JSON.stringify(VALID_EVENT).padEnd(BROWSER_BODY_LIMIT_BYTES, ' '),
    }),
    status: 202,
  },
  {
    name: `server body of ${SERVER_BODY_LIMIT_BYTES + 1} bytes`,
    spec: server(undefined, {
      body: JSON.stringify(serverEvent({})).padEnd(SERVER_BODY_LIMIT_BYTES + 1, ' '),
    }),
    status: 413,
    code: 'REQUEST_TOO_LARGE',
  },
  {
    name: 'form body over the browser cap',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: `event=purchase&description=${'d'.repeat(BROWSER_BODY_LIMIT_BYTES)}`,
    },
    status: 413,
    code: 'REQUEST_TOO_LARGE',
  },

  // --- origins ---
  {
    name: 'no Origin and no Referer',
    spec: browser(VALID_EVENT, { origin: null }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'foreign Origin',
    spec: browser(VALID_EVENT, { origin: 'https://evil.example' }),
    status: 403,
    code: 'FORBIDDEN',
    message: 'ALLOWED_ORIGINS',
  },
  {
    name: 'Origin: null',
    spec: browser(VALID_EVENT, { origin: 'null' }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Origin: null with an allowed Referer is still refused',
    spec: browser(VALID_EVENT, { origin: 'null', headers: { referer: `${ALLOWED_ORIGIN}/cart` } }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Origin with the allowed host as a prefix',
    spec: browser(VALID_EVENT, { origin: 'https://shop.example.evil.example' }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Origin with the allowed host as userinfo',
    spec: browser(VALID_EVENT, { origin: 'https://shop.example@evil.example' }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Origin over http instead of https',
    spec: browser(VALID_EVENT, { origin: 'http://shop.example' }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Origin that is not a URL',
    spec: browser(VALID_EVENT, { origin: 'shop.example' }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Origin file://',
    spec: browser(VALID_EVENT, { origin: 'file://' }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Origin in capitals with the default port is the same origin',
    spec: browser(VALID_EVENT, { origin: 'https://SHOP.example:443' }),
    status: 202,
  },
  {
    name: 'Referer only, allowed',
    spec: browser(VALID_EVENT, {
      origin: null,
      headers: { referer: `${ALLOWED_ORIGIN}/checkout?step=2` },
    }),
    status: 202,
  },
  {
    name: 'Referer only, foreign',
    spec: browser(VALID_EVENT, {
      origin: null,
      headers: { referer: 'https://evil.example/shop.example' },
    }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'foreign Origin with a bad body: refused before the body is read',
    spec: browser(undefined, { origin: 'https://evil.example', body: '{' }),
    status: 403,
    code: 'FORBIDDEN',
  },

  // --- forged or oversized _twclid cookies: ignored, never an error ---
  {
    name: 'valid _twclid cookie is used',
    spec: browser(VALID_EVENT, { headers: { cookie: `_twclid=${TWCLID}` } }),
    status: 202,
    check: (q) => expect(q[0]?.conversion.identifiers).toContainEqual({ twclid: TWCLID }),
  },
  ...[
    ['129-character click id', `_twclid=${'t'.repeat(129)}`],
    [
      'click id with spaces (pixel JSON form)',
      `_twclid=${encodeURIComponent('{"twclid":"a b","timestamp":1}')}`,
    ],
    ['broken percent-encoding', '_twclid=%E0%A4%A'],
    ['4 KB of junk', `_twclid=${'%7B'.repeat(1300)}`],
    ['JSON with __proto__', `_twclid=${encodeURIComponent('{"__proto__":{"twclid":"abc"}}')}`],
    ['JSON array', `_twclid=${encodeURIComponent('["abc"]')}`],
    ['script tag', `_twclid=${encodeURIComponent('<script>alert(1)</script>')}`],
  ].map(
    ([what, cookie]): Row => ({
      name: `forged _twclid cookie (${what}) is ignored`,
      spec: browser(VALID_EVENT, { headers: { cookie: cookie as string } }),
      status: 202,
      check: (q) => expect(hasTwclid(q[0])).toBe(false),
    }),
  ),
  {
    name: 'forged _twclid cookie is not an identifier: no identifier at all is a 400',
    spec: browser({ event: 'purchase' }, { headers: { cookie: '_twclid=a%20b' } }),
    status: 400,
    code: 'INVALID_PARAMETER',
    message: 'At least one user identifier must be provided',
  },

  // --- bad click ids in the body ---
  dropped('twclid with a space', 'twclid', 'abc def', 'twclid must be 1-128'),
  dropped('twclid with markup', 'twclid', '<script>', 'twclid must be 1-128'),
  dropped('twclid percent-encoded', 'twclid', 'abc%20def', 'twclid must be 1-128'),
  dropped('twclid with a newline', 'twclid', `${TWCLID}\n`, 'twclid must be 1-128'),
  dropped('twclid empty', 'twclid', '', 'twclid must be 1-128'),
  dropped('twclid with accented letters', 'twclid', 'clíck', 'twclid must be 1-128'),

  // --- server-only fields from a browser ---
  ...(
    [
      ['conversion_time', iso(Date.now())],
      ['ip_address', '203.0.113.9'],
      ['user_agent', 'Mozilla/5.0'],
      ['hashed_email', 'a'.repeat(64)],
      ['hashed_phone_number', 'b'.repeat(64)],
    ] as const
  ).map(
    ([field, value]): Row => ({
      ...bad(`browser sends server-only ${field}`, field, value, 'accepted only on server calls'),
    }),
  ),
  {
    name: 'browser sends the batch form',
    spec: browser({ events: [VALID_EVENT] }),
    status: 403,
    code: 'FORBIDDEN',
    parameter: 'events',
    message: 'only on server calls',
  },

  // --- server calls: bearer keys ---
  ...(
    [
      ['wrong key', 'Bearer wrong-key'],
      ['key minus its last character', `Bearer ${SERVER_KEY.slice(0, -1)}`],
      ['key plus one character', `Bearer ${SERVER_KEY}0`],
      ['key in capitals', `Bearer ${SERVER_KEY.toUpperCase()}`],
      ['empty key', 'Bearer '],
      ['scheme only', 'Bearer'],
      ['two keys', `Bearer ${SERVER_KEY} ${SERVER_KEY}`],
      ['key with a prefix', `Bearer x${SERVER_KEY}`],
    ] as const
  ).map(
    ([what, authorization]): Row => ({
      name: `server call with ${what}`,
      spec: { json: serverEvent({}), origin: null, authorization },
      status: 401,
      code: 'UNAUTHORIZED',
    }),
  ),
  {
    name: 'wrong bearer key from an allowed origin is still 401, not a browser call',
    spec: { json: VALID_EVENT, authorization: 'Bearer wrong-key' },
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'Basic auth (a site behind a password) is a browser call, judged by origin',
    spec: browser(VALID_EVENT, { authorization: `Basic ${btoa('user:pass')}` }),
    status: 202,
  },
  {
    name: 'server key sent as Basic is not a server call',
    spec: { json: serverEvent({}), origin: null, authorization: `Basic ${SERVER_KEY}` },
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'bearer scheme in lower case (RFC 9110: case-insensitive)',
    spec: { json: serverEvent({}), origin: null, authorization: `bearer ${SERVER_KEY}` },
    status: 202,
  },

  // --- server batches ---
  {
    name: 'server batch of 501 events',
    spec: server({ events: Array.from({ length: 501 }, () => serverEvent({})) }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'events',
    message: 'Conversion count limit is 500',
  },
  {
    name: 'server batch of 500 events',
    spec: server({
      events: Array.from({ length: 500 }, (_, i) => serverEvent({ conversion_id: `o-${i}` })),
    }),
    status: 202,
    queued: 500,
  },
  {
    name: 'server batch that is empty',
    spec: server({ events: [] }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'events',
  },
  {
    name: 'server batch that is not an array',
    spec: server({ events: serverEvent({}) }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'events',
  },
  {
    name: 'server batch with one bad event: nothing is queued',
    spec: server({
      events: [serverEvent({}), serverEvent({}), serverEvent({}), serverEvent({ value: -1 })],
    }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'events[3].value',
  },
  {
    name: 'server batch with one unknown event: nothing is queued',
    spec: server({ events: [serverEvent({}), serverEvent({ event: 'refund' })] }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'events[1].event',
  },
  {
    name: 'server batch with an invalid email in the middle',
    spec: server({ events: [serverEvent({}), { event: 'lead', email: 'nope' }, serverEvent({})] }),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'events[1].email',
  },

  // --- conversion_time ---
  {
    name: 'conversion_time one hour in the future',
    spec: server(serverEvent({ conversion_time: iso(Date.now() + HOUR) })),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'conversion_time',
    message: 'must not be in the future',
  },
  {
    name: 'conversion_time 91 days ago (default MAX_CONVERSION_AGE_DAYS is 90)',
    spec: server(serverEvent({ conversion_time: iso(Date.now() - 91 * DAY) })),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'conversion_time',
    message: 'within the last 90 days',
  },
  {
    name: 'conversion_time in 1970',
    spec: server(serverEvent({ conversion_time: '1970-01-01T00:00:00.000Z' })),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'conversion_time',
  },
  {
    name: 'conversion_time without a time zone',
    spec: server(serverEvent({ conversion_time: iso(Date.now()).slice(0, -1) })),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'conversion_time',
    message: 'ISO 8601 with a time zone',
  },
  {
    name: 'conversion_time with impossible fields',
    spec: server(serverEvent({ conversion_time: '2026-13-45T99:99:99Z' })),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'conversion_time',
  },
  {
    name: 'conversion_time as epoch milliseconds',
    spec: server(serverEvent({ conversion_time: Date.now() })),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'conversion_time',
  },
  {
    name: 'conversion_time one minute ahead (clock skew) is accepted, in X format',
    spec: server(serverEvent({ conversion_time: iso(Date.now() + 60_000) })),
    status: 202,
    check: (q) =>
      expect(q[0]?.conversion.conversion_time).toMatch(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
      ),
  },
  {
    name: 'server call: hashed_email that is not SHA-256',
    spec: server(serverEvent({ hashed_email: 'abc' })),
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'hashed_email',
    message: 'not a valid SHA-256 hash',
  },
  {
    name: 'server call: ip_address that is not an IP is dropped, the user agent still sent',
    spec: server(serverEvent({ ip_address: 'localhost', user_agent: 'Mozilla/5.0' })),
    status: 202,
    dropped: 'ip_address',
    check: (q) =>
      expect(q[0]?.conversion.identifiers).toContainEqual({ user_agent: 'Mozilla/5.0' }),
  },
  {
    name: 'server call: ip_address without user_agent is accepted beside another identifier',
    spec: server(serverEvent({ ip_address: '203.0.113.9' })),
    status: 202,
    check: (q) => expect(q[0]?.sealedAddress).toEqual(expect.any(String)),
  },

  // --- unknown event names ---
  bad('unknown event', 'event', 'refund', 'Unknown event'),
  bad('event name in capitals', 'event', 'PURCHASE', 'Unknown event'),
  bad('event name with a leading space', 'event', ' purchase', 'Unknown event'),
  bad('event name empty', 'event', '', 'event must not be empty'),
  {
    name: 'no identifier at all',
    spec: browser({ event: 'purchase', value: 20 }),
    status: 400,
    code: 'INVALID_PARAMETER',
    message: 'At least one user identifier must be provided',
  },

  // --- Global Privacy Control ---
  {
    name: 'Sec-GPC: 1 on a browser call: 202, nothing forwarded, and the answer says so',
    spec: browser(VALID_EVENT, { headers: { 'sec-gpc': '1' } }),
    status: 202,
    queued: 0,
  },
  {
    name: 'Sec-GPC: 1 with an invalid event: still nothing forwarded',
    spec: browser(withField('email', 'not-an-email'), { headers: { 'sec-gpc': '1' } }),
    status: 202,
    queued: 0,
  },
  {
    name: 'Sec-GPC: 1 from a foreign origin is still refused',
    spec: browser(VALID_EVENT, { origin: 'https://evil.example', headers: { 'sec-gpc': '1' } }),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Sec-GPC: 0 is not an opt-out',
    spec: browser(VALID_EVENT, { headers: { 'sec-gpc': '0' } }),
    status: 202,
    queued: 1,
  },
  {
    name: 'Sec-GPC: 1 on a form with a redirect: 303, nothing forwarded',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: `event=lead&email=a%40example.com&redirect=${encodeURIComponent(`${ALLOWED_ORIGIN}/thanks`)}`,
      headers: { 'sec-gpc': '1' },
    },
    status: 303,
    queued: 0,
  },

  // --- HTML forms ---
  {
    name: 'form with a same-site redirect: 303 there',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: `event=lead&email=a%40example.com&redirect=${encodeURIComponent('/thanks')}`,
    },
    status: 303,
    queued: 1,
  },
  {
    name: 'form with a redirect to another site (open redirect)',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: `event=lead&email=a%40example.com&redirect=${encodeURIComponent('https://evil.example/phish')}`,
    },
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'redirect',
  },
  {
    name: 'form with a protocol-relative redirect to another site',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: `event=lead&email=a%40example.com&redirect=${encodeURIComponent('//evil.example/phish')}`,
    },
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'redirect',
  },
  {
    name: 'form with a javascript: redirect',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: `event=lead&email=a%40example.com&redirect=${encodeURIComponent('javascript:alert(1)')}`,
    },
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'redirect',
  },
  ...(
    [
      ['backslashes', '\\\\evil.example/phish'],
      ['a tab inside the slashes', '/\t/evil.example/phish'],
      ['the allowed host as a prefix', 'https://shop.example.evil.example/'],
      ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
      ['2,049 characters', `/${'a'.repeat(2048)}`],
    ] as const
  ).map(
    ([what, redirect]): Row => ({
      name: `form with a redirect using ${what}`,
      spec: {
        contentType: 'application/x-www-form-urlencoded',
        body: `event=lead&email=a%40example.com&redirect=${encodeURIComponent(redirect)}`,
      },
      status: 400,
      code: 'INVALID_PARAMETER',
      parameter: 'redirect',
    }),
  ),
  {
    name: 'form with a negative value',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: 'event=purchase&email=a%40example.com&value=-1',
    },
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'value',
  },
  {
    name: 'form with a server-only field',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: `event=purchase&email=a%40example.com&hashed_email=${'a'.repeat(64)}`,
    },
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'hashed_email',
  },
  {
    name: 'form with PHP-style array field',
    spec: {
      contentType: 'application/x-www-form-urlencoded',
      body: 'event=purchase&email%5B%5D=a%40example.com',
    },
    status: 400,
    code: 'INVALID_PARAMETER',
    parameter: 'email[]',
  },

  // --- paths and query strings ---
  ...(['/events/', '/EVENTS', '//events', '/events%00', '/events;jsessionid=1'] as const).map(
    (path): Row => ({
      name: `POST ${path}`,
      spec: browser(VALID_EVENT, { path }),
      status: 404,
      code: 'ROUTE_NOT_FOUND',
    }),
  ),
  {
    name: 'query string junk is ignored (no prototype pollution through it either)',
    spec: browser(VALID_EVENT, {
      path: '/events?__proto__[polluted]=yes&constructor[prototype][polluted]=yes&event=refund',
    }),
    status: 202,
    check: (q) => expect(eventIdOf(q[0])).toBe('o9d2g'),
  },
  {
    name: 'percent-encoded unreserved letters are the same path (RFC 3986 section 6.2.2.2)',
    spec: browser(VALID_EVENT, { path: '/%65vents' }),
    status: 202,
  },
  {
    name: 'dot segments resolve to /events',
    spec: browser(VALID_EVENT, { path: '/click/../events' }),
    status: 202,
  },

  // --- methods ---
  {
    name: 'GET /events',
    spec: { method: 'GET' },
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  {
    name: 'PUT /events',
    spec: browser(VALID_EVENT, { method: 'PUT' }),
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  {
    name: 'preflight from a foreign origin',
    spec: { method: 'OPTIONS', origin: 'https://evil.example', contentType: null },
    status: 403,
    code: 'FORBIDDEN',
  },
];

describe('POST /events under hostile input', () => {
  const edge = createEdge();
  let polluted = false;

  afterAll(() => {
    // Prototype pollution would show up on every object in the isolate.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(polluted).toBe(false);
  });

  it('has at least 100 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(100);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  for (const row of rows) {
    it(`${row.status} <- ${row.name}`, async () => {
      const queuedBefore = edge.recorder.messages.length;
      const res = await edge.call(row.spec);
      const queued = edge.recorder.messages.slice(queuedBefore);
      polluted ||= ({} as Record<string, unknown>).polluted !== undefined;

      expect(res.status, res.text).toBeLessThan(500);
      expect(res.status, res.text).toBe(row.status);

      if (row.status >= 400) {
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(isXErrorBody(res.json), res.text).toBe(true);
        const errors = (
          res.json as { errors: { code: string; message: string; parameter?: string }[] }
        ).errors;
        if (row.code) expect(errors[0]?.code).toBe(row.code);
        if (row.parameter !== undefined) {
          expect(errors.map((e) => e.parameter)).toContain(row.parameter);
        }
        if (row.message) {
          expect(errors.map((e) => e.message).join(' | ')).toContain(row.message);
        }
        if (row.errorCount !== undefined) expect(errors, res.text).toHaveLength(row.errorCount);
        expect(queued).toEqual([]);
      } else if (row.status === 202) {
        expect(isAcceptedBody(res.json), res.text).toBe(true);
        const body = res.json as { accepted: number; conversion_ids: string[]; gpc?: boolean };
        const expected = row.queued ?? Math.max(body.accepted, 1);
        expect(queued).toHaveLength(expected);
        expect(body.accepted).toBe(expected);
        expect(queued.map((m) => m.conversion.conversion_id)).toEqual(body.conversion_ids);
        if (expected === 0) expect(body.gpc).toBe(true);
        const warnings = (
          res.json as { warnings?: { code: string; parameter: string; message: string }[] }
        ).warnings;
        if (row.dropped === undefined) {
          expect(warnings, res.text).toBeUndefined();
        } else {
          expect(
            warnings?.map((w) => w.parameter),
            res.text,
          ).toContain(row.dropped);
          if (row.message) {
            expect(warnings?.map((w) => w.message).join(' | ')).toContain(row.message);
          }
        }
      } else if (row.status === 303) {
        expect(res.headers.get('location')).toMatch(/^https:\/\/(shop|edge)\.example\//);
        expect(queued).toHaveLength(row.queued ?? 1);
      }
      row.check?.(queued);
    });
  }
});
