import { describe, expect, it } from 'vitest';
import { CliError } from '../errors.ts';
import { EVENT_FIELDS, fieldForHeader, mapColumns } from './columns.ts';

describe('fieldForHeader', () => {
  it.each([
    ['event', 'event'],
    ['Event Name', 'event'],
    ['transaction_id', 'conversion_id'],
    ['Transaction ID', 'conversion_id'],
    ['order-id', 'conversion_id'],
    ['EMAIL_ADDRESS', 'email'],
    ['e-mail', 'email'],
    ['Phone Number', 'phone'],
    ['timestamp', 'conversion_time'],
    ['event_time', 'conversion_time'],
    ['client_ip_address', 'ip_address'],
    ['client_user_agent', 'user_agent'],
    ['num_items', 'number_items'],
    ['revenue', 'value'],
    ['currency_code', 'currency'],
    ['click_id', 'twclid'],
    [' hashed_email ', 'hashed_email'],
    ['hashed_phone_number', 'hashed_phone_number'],
    ['description', 'description'],
    ['emial', undefined],
    ['name', undefined],
  ])('%j -> %s', (header, field) => {
    expect(fieldForHeader(header)).toBe(field);
  });

  it('knows every field of the edge schema by its own name', () => {
    for (const field of EVENT_FIELDS) expect(fieldForHeader(field)).toBe(field);
    expect(EVENT_FIELDS).toEqual(expect.arrayContaining(['event', 'twclid', 'conversion_time']));
  });
});

describe('mapColumns', () => {
  it('maps a header, case and spacing aside', () => {
    expect(mapColumns(['Event', 'Transaction ID', 'Email Address', 'value'], {})).toEqual([
      'event',
      'conversion_id',
      'email',
      'value',
    ]);
  });

  it('refuses an unknown column by name, unless told to skip it', () => {
    expect(() => mapColumns(['event', 'emial'], {})).toThrow(
      /unknown column "emial" in the header \(line 1\).*--skip-unknown-columns/,
    );
    expect(mapColumns(['event', 'emial'], { skipUnknown: true })).toEqual(['event', undefined]);
  });

  it('refuses two columns for one field', () => {
    expect(() => mapColumns(['event', 'email', 'Email Address'], {})).toThrow(
      'columns "email" and "Email Address" both give email: keep one of them',
    );
  });

  it('needs an event column or a default event', () => {
    expect(() => mapColumns(['email'], {})).toThrow(CliError);
    expect(() => mapColumns(['email'], {})).toThrow(/no "event" column/);
    expect(mapColumns(['email'], { defaultEvent: 'lead' })).toEqual(['email']);
  });
});
