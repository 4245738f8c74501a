/**
 * Hostile input to `POST /events`, what is claimed:
 * conversion_time, unknown event names, Global Privacy Control and HTML forms.
 * The table's rules are in ./hostile-table.ts.
 */
import { expect } from 'vitest';
import { ALLOWED_ORIGIN, VALID_EVENT } from './hostile-harness.ts';
import {
  bad,
  browser,
  DAY,
  HOUR,
  iso,
  type Row,
  runHostileTable,
  server,
  serverEvent,
  withField,
} from './hostile-table.ts';

const rows: Row[] = [
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
];

runHostileTable('POST /events under hostile input: what is claimed', rows);
