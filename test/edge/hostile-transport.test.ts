/**
 * Hostile input to `POST /events`, the request: content types,
 * malformed and empty bodies, size caps, paths, query strings and methods.
 * The table's rules are in ./hostile-table.ts.
 */
import { expect } from 'vitest';
import { BROWSER_BODY_LIMIT_BYTES, SERVER_BODY_LIMIT_BYTES } from '../../edge/ingest/parse-body.ts';
import { VALID_EVENT } from './hostile-harness.ts';
import {
  browser,
  eventIdOf,
  type Row,
  runHostileTable,
  server,
  serverEvent,
  streamOf,
} from './hostile-table.ts';

const rows: Row[] = [
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

runHostileTable('POST /events under hostile input: the request', rows);
