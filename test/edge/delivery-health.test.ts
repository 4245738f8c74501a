/** The delivery state /health reports, from what the ledger remembers. */
import { describe, expect, it } from 'vitest';
import {
  type DeliveryFlags,
  deliveryHealth,
  publicHealth,
} from '../../edge/delivery/delivery-health.ts';

const NOW = Date.UTC(2026, 10, 29, 6, 0, 0);
const at = (ms: number) => new Date(ms).toISOString();

const rows: [string, DeliveryFlags, ReturnType<typeof deliveryHealth>][] = [
  [
    'nothing wrong',
    { isolated: [], changedAt: NOW - 5000 },
    { state: 'ok', since: at(NOW - 5000), reason: null },
  ],
  [
    'credentials refused',
    {
      blocked: { since: NOW - 1000, reason: 'X answers 401: credentials refused' },
      isolated: [],
      failing: { since: NOW - 9000, reason: 'X answered 503' },
      changedAt: 0,
    },
    { state: 'blocked', since: at(NOW - 1000), reason: 'X answers 401: credentials refused' },
  ],
  [
    'one event refused',
    {
      isolated: [
        {
          event: 'lead',
          since: NOW - 2000,
          reason: 'X answers 404: event_id (o9d2h) does not belong to provided account',
        },
      ],
      changedAt: 0,
    },
    {
      state: 'degraded',
      since: at(NOW - 2000),
      reason:
        'event lead waits: X answers 404: event_id (o9d2h) does not belong to provided account',
    },
  ],
  [
    'X failing',
    { isolated: [], failing: { since: NOW - 3000, reason: 'X answered 503' }, changedAt: 0 },
    { state: 'degraded', since: at(NOW - 3000), reason: 'X answered 503' },
  ],
  [
    'budget spent',
    { isolated: [], budget: { since: NOW - 4000, until: NOW + 60_000 }, changedAt: 0 },
    {
      state: 'degraded',
      since: at(NOW - 4000),
      reason: `rate budget spent: conversions wait until ${at(NOW + 60_000)}`,
    },
  ],
  [
    'budget available again',
    {
      isolated: [],
      budget: { since: NOW - 90_000, until: NOW - 30_000 },
      changedAt: NOW - 100_000,
    },
    { state: 'ok', since: at(NOW - 30_000), reason: null },
  ],
];

describe('deliveryHealth', () => {
  it.each(rows)('%s', (_name, flags, expected) => {
    expect(deliveryHealth(flags, NOW)).toEqual(expected);
  });
});

describe('publicHealth', () => {
  const since = at(NOW);
  it.each([
    [
      'X answers 401: credentials refused (Invalid or expired token)',
      'X answers 401: credentials refused',
    ],
    [
      'X answers 404: pixel not found (pixel_id (o9d7n) was not found)',
      'X answers 404: pixel not found',
    ],
    [
      'event lead waits: X answers 404: event_id (o9d2h) does not belong to provided account',
      'an event waits: X refuses its tag (404)',
    ],
    ['X answered 503', 'X answered 503'],
  ])('%s', (reason, expected) => {
    expect(publicHealth({ state: 'degraded', since, reason })).toEqual({
      state: 'degraded',
      since,
      reason: expected,
    });
  });
});
