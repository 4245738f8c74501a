/**
 * Hostile input to `POST /events`, each field: wrong types,
 * contents items, caps, numbers, unicode, invalid emails and phones.
 * The table's rules are in ./hostile-table.ts.
 */
import { expect } from 'vitest';
import { VALID_EVENT } from './hostile-harness.ts';
import {
  bad,
  browser,
  dropped,
  HOUR,
  iso,
  type Row,
  runHostileTable,
  server,
  serverEvent,
  TWCLID,
  withField,
} from './hostile-table.ts';

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
];

runHostileTable('POST /events under hostile input: each field', rows);
