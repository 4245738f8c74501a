import { describe, expect, it } from 'vitest';
import { createRowValidator } from './validate-row.ts';

const events = { purchase: 'o9d2g', lead: 'o9d2h' };

describe('createRowValidator', () => {
  const validate = createRowValidator({ events });

  it.each([
    [{ event: 'purchase', email: 'a@b.example', value: '12.50', currency: 'eur' }],
    [{ event: 'lead', twclid: '26al4tn7x9n5o40h6sd2ds3kbt' }],
    [{ event: 'lead', phone: '(415) 555-2671' }],
    [
      {
        event: 'purchase',
        hashed_email: 'a'.repeat(64),
        conversion_time: new Date().toISOString(),
      },
    ],
  ])('accepts %j', async (event) => {
    expect(await validate(event)).toEqual({ ok: true });
  });

  it.each([
    [
      { event: 'nosuch', email: 'a@b.example' },
      'INVALID_PARAMETER: Unknown event: configured events are purchase, lead (event)',
    ],
    [
      { event: 'purchase', email: 'not-an-email' },
      'INVALID_PARAMETER: email is not a valid email address (email)',
    ],
    [{ event: 'purchase' }, 'INVALID_PARAMETER: At least one user identifier must be provided'],
    [
      { event: 'purchase', email: 'a@b.example', value: '12,50' },
      /^INVALID_PARAMETER: value must be a number or a numeric string/,
    ],
    [
      { event: 'purchase', email: 'a@b.example', currency: 'EURO' },
      /currency must be an ISO 4217 code/,
    ],
    [
      { event: 'purchase', email: 'a@b.example', conversion_time: '2024-11-28 13:20' },
      /conversion_time must be ISO 8601 with a time zone/,
    ],
    [
      { event: 'purchase', email: 'a@b.example', conversion_id: 'has space' },
      /conversion_id must be 1-64 letters/,
    ],
  ])('refuses %j with the edge reason', async (event, reason) => {
    const verdict = await validate(event);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason);
  });

  it('applies the edge rules of late conversions, exact amounts and forgiving identifiers', async () => {
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const base = { event: 'purchase', email: 'a@b.example' };
    expect(await validate({ ...base, conversion_time: daysAgo(30) })).toEqual({ ok: true });
    expect(await validate({ ...base, conversion_time: daysAgo(100) })).toEqual({
      ok: false,
      reason:
        'INVALID_PARAMETER: conversion_time must be within the last 90 days (MAX_CONVERSION_AGE_DAYS) (conversion_time)',
    });
    expect(await validate({ ...base, value: '1.005', currency: 'KWD' })).toEqual({ ok: true });
    expect((await validate({ ...base, value: '1.005', currency: 'USD' })).ok).toBe(false);
    // A broken phone beside a usable email is dropped by the edge (with a warning), not refused.
    expect(await validate({ ...base, phone: '12' })).toEqual({ ok: true });
    const shorter = createRowValidator({ events, maxConversionAgeDays: 7 });
    expect((await shorter({ ...base, conversion_time: daysAgo(30) })).ok).toBe(false);
  });

  it('never echoes a value in its reason', async () => {
    const verdict = await validate({ event: 'purchase', email: 'secret-person@@example' });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).not.toContain('secret-person');
  });

  it('checks no event names when it was given none (an offline dry run)', async () => {
    const offline = createRowValidator();
    expect(await offline({ event: 'anything', email: 'a@b.example' })).toEqual({ ok: true });
    expect((await offline({ event: 'anything' })).ok).toBe(false);
  });

  it('accepts event names listed without their tags', async () => {
    const listed = createRowValidator({ events: ['purchase'] });
    expect(await listed({ event: 'purchase', email: 'a@b.example' })).toEqual({ ok: true });
    expect((await listed({ event: 'lead', email: 'a@b.example' })).ok).toBe(false);
  });

  it('reads national phone numbers in the given country', async () => {
    const british = createRowValidator({ events, phoneCountry: 'GB' });
    expect(await british({ event: 'lead', phone: '020 7946 0958' })).toEqual({ ok: true });
    expect(() => createRowValidator({ events, phoneCountry: 'Britain' })).toThrow(
      '--phone-country must be a two-letter ISO 3166 country code such as US',
    );
  });
});
