/**
 * The consumer's pure decision: X's answer to one request -> what happens to
 * its conversions. One row per rule.
 */
import { describe, expect, it } from 'vitest';
import { judge, refusedEventIds, type SentRequest } from '../../edge/delivery/verdict.ts';
import type { SendOutcome } from '../../edge/x-api/x-client.ts';

const one: SentRequest = { size: 1, eventIds: ['o9d2g'] };
const mixed: SentRequest = { size: 5, eventIds: ['o9d2g', 'o9d2h'] };
const notInAccount = (id: string) => ({
  code: 'NOT_FOUND',
  message: `event_id (${id}) does not belong to provided account`,
  parameter: 'event_id',
});

const rows: [string, SendOutcome, SentRequest, ReturnType<typeof judge>][] = [
  ['delivered', { kind: 'delivered', status: 200, debugId: 'd' }, mixed, { kind: 'ack' }],
  [
    'dry run',
    {
      kind: 'dry-run',
      request: { method: 'POST', url: 'u', headers: {}, body: { conversions: [] } },
    },
    mixed,
    { kind: 'ack' },
  ],
  [
    '503',
    { kind: 'retryable', status: 503, reason: 'X answered 503' },
    mixed,
    { kind: 'retry', reason: 'X answered 503' },
  ],
  [
    'timeout',
    { kind: 'retryable', reason: 'timeout after 10000 ms' },
    one,
    { kind: 'retry', reason: 'timeout after 10000 ms' },
  ],
  [
    '429',
    { kind: 'rate-limited', status: 429, retryAfterSeconds: 90 },
    mixed,
    { kind: 'requeue', delaySeconds: 90 },
  ],
  [
    '401',
    {
      kind: 'misconfigured',
      status: 401,
      errors: [{ code: 'UNAUTHORIZED', message: 'Invalid or expired token' }],
    },
    mixed,
    {
      kind: 'hold',
      reason: 'pixel_refused',
      message: 'X answers 401: credentials refused (Invalid or expired token)',
    },
  ],
  [
    '403',
    { kind: 'misconfigured', status: 403, errors: [] },
    one,
    {
      kind: 'hold',
      reason: 'pixel_refused',
      message: 'X answers 403: no Ads API access for these credentials',
    },
  ],
  [
    '404 for the pixel',
    {
      kind: 'misconfigured',
      status: 404,
      errors: [
        { code: 'NOT_FOUND', message: 'pixel_id (o9d7n) was not found', parameter: 'pixel_id' },
      ],
    },
    mixed,
    {
      kind: 'hold',
      reason: 'pixel_refused',
      message: 'X answers 404: pixel not found (pixel_id (o9d7n) was not found)',
    },
  ],
  [
    '404 naming one event',
    { kind: 'misconfigured', status: 404, errors: [notInAccount('o9d2h')] },
    mixed,
    {
      kind: 'isolate',
      eventIds: ['o9d2h'],
      message: 'X answers 404: event_id (o9d2h) does not belong to provided account',
    },
  ],
  [
    '400 for a request of several',
    { kind: 'invalid', status: 400, errors: [{ code: 'INVALID_PARAMETER', message: 'bad' }] },
    mixed,
    { kind: 'bisect' },
  ],
  [
    '400 for one conversion',
    {
      kind: 'invalid',
      status: 400,
      errors: [{ code: 'INVALID_PARAMETER', message: 'value (x) is not a valid decimal' }],
    },
    one,
    {
      kind: 'dead-letter',
      reason: 'rejected',
      status: 400,
      message: 'value (x) is not a valid decimal',
    },
  ],
];

describe('judge', () => {
  it.each(rows)('%s', (_name, outcome, request, expected) => {
    expect(judge(outcome, request)).toEqual(expected);
  });
});

describe('refusedEventIds', () => {
  it('finds the tags X names, in short or long form, and only those of the request', () => {
    expect(
      refusedEventIds(
        [notInAccount('o9d2h'), notInAccount('tw-o9d7n-o9d2g'), notInAccount('zzzzz')],
        ['o9d2g', 'o9d2h', 'o9d2i'],
      ).sort(),
    ).toEqual(['o9d2g', 'o9d2h']);
    expect(refusedEventIds([{ code: 'NOT_FOUND', message: 'Not found' }], ['o9d2g'])).toEqual([]);
  });
});
