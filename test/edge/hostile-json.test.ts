/**
 * Hostile input to `POST /events`, the JSON itself: nested junk,
 * prototype keys, duplicate keys.
 * The table's rules are in ./hostile-table.ts.
 */
import { expect } from 'vitest';
import {
  bad,
  browser,
  eventIdOf,
  nested,
  type Row,
  runHostileTable,
  server,
  serverEvent,
} from './hostile-table.ts';

const rows: Row[] = [
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
];

runHostileTable('POST /events under hostile input: the JSON itself', rows);
