/**
 * Hostile input to `POST /events`, who calls: origins, forged
 * cookies, click ids, server-only fields, bearer keys and server batches.
 * The table's rules are in ./hostile-table.ts.
 */
import { expect } from 'vitest';
import { ALLOWED_ORIGIN, SERVER_KEY, VALID_EVENT } from './hostile-harness.ts';
import {
  bad,
  browser,
  dropped,
  hasTwclid,
  iso,
  type Row,
  runHostileTable,
  server,
  serverEvent,
  TWCLID,
} from './hostile-table.ts';

const rows: Row[] = [
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
];

runHostileTable('POST /events under hostile input: who calls', rows);
