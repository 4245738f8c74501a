/**
 * Table tests for ingest's rules, run on `validateEvent` in plain Node: the
 * same pure function `POST /events` uses (importing it here also proves its
 * module graph needs nothing Cloudflare-only, as tools checking rows before
 * upload require). Every conversion built is also checked against the fake
 * X's rules, so nothing accepted here is something X would refuse.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PHONE_CHECKS_PER_EVENT } from '../../edge/ingest/free-text.ts';
import { type EventOutcome, validateEvent } from '../../edge/ingest/validate-event.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { checkConversionRequest } from '../fake-x/validate-conversions.ts';

const NOW = Date.parse('2026-11-29T12:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const RULES = { events: TEST_ACCOUNT.events, phoneDefaultCountry: 'US', maxConversionAgeDays: 90 };
const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function server(event: Record<string, unknown>, prefix = ''): Promise<EventOutcome> {
  return validateEvent(event, { rules: RULES, caller: 'server', now: NOW, prefix });
}

function accepted(outcome: EventOutcome): XConversion & { warnings: string[] } {
  if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome.errors)}`);
  const check = checkConversionRequest(
    { conversions: [outcome.conversion] },
    TEST_ACCOUNT.pixelId,
    new Set(Object.values(TEST_ACCOUNT.events)),
  );
  expect(check, JSON.stringify(outcome.conversion)).toMatchObject({ ok: true });
  return {
    ...outcome.conversion,
    warnings: outcome.warnings.map((w) => `${w.code} ${w.parameter}`),
  };
}

function refused(outcome: EventOutcome): string[] {
  if (outcome.ok) throw new Error(`accepted: ${JSON.stringify(outcome.conversion)}`);
  return outcome.errors.map((e) => `${e.parameter}: ${e.message}`);
}

describe('forgiving identifiers', () => {
  const rows: Array<{
    name: string;
    event: Record<string, unknown>;
    dropped: string[];
    kinds: string[];
  }> = [
    {
      name: 'bad phone beside a click id',
      event: { twclid: TWCLID, phone: '+1 (123) 456-78' },
      dropped: ['phone'],
      kinds: ['twclid'],
    },
    {
      name: 'dotless email beside a click id (browsers accept john@gmail)',
      event: { twclid: TWCLID, email: 'john@gmail' },
      dropped: ['email'],
      kinds: ['twclid'],
    },
    {
      name: 'bad email beside a phone',
      event: { email: 'not an email', phone: '+14155552671' },
      dropped: ['email'],
      kinds: ['hashed_phone_number'],
    },
    {
      name: 'bad phone and bad email beside a click id',
      event: { twclid: TWCLID, email: 'a@', phone: 'call me' },
      dropped: ['email', 'phone'],
      kinds: ['twclid'],
    },
    {
      name: 'malformed IP beside an email, user agent kept alone',
      event: { email: 'a@b.example', ip_address: '203.0.113.999', user_agent: 'Mozilla/5.0' },
      dropped: ['ip_address'],
      kinds: ['hashed_email', 'user_agent'],
    },
    {
      name: 'empty user agent beside a hashed email, IP kept alone',
      event: { hashed_email: 'a'.repeat(64), ip_address: '203.0.113.9', user_agent: '' },
      dropped: ['user_agent'],
      kinds: ['hashed_email', 'ip_address'],
    },
    {
      name: 'bad click id beside an email',
      event: { twclid: 'not a click id', email: 'a@b.example' },
      dropped: ['twclid'],
      kinds: ['hashed_email'],
    },
    {
      name: 'phone of the wrong type beside an email',
      event: { email: 'a@b.example', phone: 14155552671 },
      dropped: ['phone'],
      kinds: ['hashed_email'],
    },
    {
      name: 'IP without user agent beside a click id: nothing dropped',
      event: { twclid: TWCLID, ip_address: '2001:db8::1' },
      dropped: [],
      kinds: ['twclid', 'ip_address'],
    },
    {
      name: "X's own example number +11234567890 is kept (possible length, no range check)",
      event: { phone: '+1 123 456 7890' },
      dropped: [],
      kinds: ['hashed_phone_number'],
    },
  ];

  it.each(rows)('$name', async ({ event, dropped, kinds }) => {
    const outcome = await server({ event: 'purchase', ...event });
    const conversion = accepted(outcome);
    expect(conversion.warnings).toEqual(dropped.map((field) => `IDENTIFIER_DROPPED ${field}`));
    expect(conversion.identifiers.map((i) => Object.keys(i).join('+'))).toEqual(kinds);
  });

  it('hashes the kept number as X expects (E.164 with the +)', async () => {
    const conversion = accepted(await server({ event: 'purchase', phone: '+1 123 456 7890' }));
    expect(conversion.identifiers).toEqual([{ hashed_phone_number: sha256('+11234567890') }]);
  });

  it('warnings name the field and never quote the value', async () => {
    const outcome = await server({
      event: 'purchase',
      twclid: TWCLID,
      email: 'jane.doe.secret@',
      phone: '555-01-SECRET',
    });
    if (!outcome.ok) throw new Error('refused');
    expect(outcome.warnings).toHaveLength(2);
    for (const warning of outcome.warnings) {
      expect(warning.code).toBe('IDENTIFIER_DROPPED');
      expect(warning.message).not.toMatch(/secret/i);
      expect(warning.message).toMatch(/left out/);
    }
  });

  it('names events[3].phone in a batch', async () => {
    const outcome = await server({ event: 'lead', twclid: TWCLID, phone: 'n/a' }, 'events[3]');
    expect(accepted(outcome).warnings).toEqual(['IDENTIFIER_DROPPED events[3].phone']);
  });

  const noneLeft: Array<{ name: string; event: Record<string, unknown>; errors: string[] }> = [
    {
      name: 'only a bad phone',
      event: { phone: '123' },
      errors: ['phone: phone is not a valid phone number'],
    },
    {
      name: 'bad email and bad phone',
      event: { email: 'a@', phone: 'x' },
      errors: ['email: email is not a valid email address', 'phone: phone is not a valid'],
    },
    {
      name: 'IP and user agent alone',
      event: { ip_address: '203.0.113.9', user_agent: 'Mozilla/5.0' },
      errors: [': At least one user identifier must be provided'],
    },
    {
      name: 'a bad click id alone',
      event: { twclid: '<script>' },
      errors: ['twclid: twclid must be 1-128 letters'],
    },
    { name: 'nothing at all', event: {}, errors: [': At least one user identifier'] },
  ];

  it.each(noneLeft)('400 when nothing usable is left: $name', async ({ event, errors }) => {
    const messages = refused(await server({ event: 'purchase', ...event }));
    expect(messages).toHaveLength(errors.length);
    for (const [i, fragment] of errors.entries()) expect(messages[i]).toContain(fragment);
  });

  it('contradictions stay errors: email with hashed_email', async () => {
    const messages = refused(
      await server({ event: 'purchase', email: 'a@b.example', hashed_email: 'a'.repeat(64) }),
    );
    expect(messages).toEqual(['hashed_email: Send email or hashed_email, not both']);
  });
});

describe('exact values in the currency minor unit', () => {
  const ok: Array<[string, unknown, unknown, string]> = [
    ['USD', 20, undefined, '20.00'],
    ['USD', '19.99', undefined, '19.99'],
    ['USD', 1.5, undefined, '1.50'],
    ['USD', '1.500', undefined, '1.50'],
    ['USD', 0.1, undefined, '0.10'],
    ['JPY', 1500, undefined, '1500'],
    ['JPY', '1500.00', undefined, '1500'],
    ['KRW', '25000', undefined, '25000'],
    ['KWD', 1.005, undefined, '1.005'],
    ['KWD', '12.5', undefined, '12.500'],
    ['BHD', '0.125', undefined, '0.125'],
    ['IQD', 1.005, undefined, '1.005'],
    ['TND', '7.25', undefined, '7.250'],
    ['EUR', '999999999.99', undefined, '999999999.99'],
    // No currency: X's default USD, two decimals.
    [undefined as unknown as string, '20.5', undefined, '20.50'],
  ];
  it.each(ok)('%s %j -> value %j', async (currency, value, _unused, expected) => {
    const event = { event: 'purchase', twclid: TWCLID, value, ...(currency ? { currency } : {}) };
    expect(accepted(await server(event)).value).toBe(expected);
  });

  const tooPrecise: Array<[string, unknown]> = [
    ['USD', 1.005],
    ['USD', '1.005'],
    // Strings are taken as written, even with a float's digits.
    ['USD', '0.30000000000000004'],
    ['USD', 1e-7],
    ['EUR', '20.001'],
    ['JPY', 1500.5],
    ['JPY', '0.1'],
    ['KRW', '1.5'],
    ['KWD', '1.0005'],
    ['OMR', 0.0001],
  ];
  it.each(tooPrecise)('%s %j is refused, never rounded', async (currency, value) => {
    const messages = refused(await server({ event: 'purchase', twclid: TWCLID, value, currency }));
    expect(messages).toEqual([
      expect.stringContaining(`value: value has more decimal places than ${currency} allows`),
    ]);
  });

  it.each([
    ['USD', 0.1 + 0.2, '0.30'],
    ['USD', 0.7 + 0.1, '0.80'],
    ['EUR', 1.1 * 3, '3.30'],
    ['JPY', 1.15 * 100, '115'],
    ['KWD', 1.005 * 3, '3.015'],
  ])(
    '%s %j (binary float noise from a computation) is rounded to %j, with a warning',
    async (currency, value, expected) => {
      expect(String(value).replace('.', '').replace(/^0+/, '').length).toBeGreaterThan(15);
      const outcome = await server({ event: 'purchase', twclid: TWCLID, value, currency });
      const conversion = accepted(outcome);
      expect(conversion.value).toBe(expected);
      expect(conversion.warnings).toEqual(['VALUE_ROUNDED value']);
    },
  );

  it('a noisy content_price is rounded too, and named', async () => {
    const conversion = accepted(
      await server({
        event: 'purchase',
        twclid: TWCLID,
        contents: [{ content_id: 'sku-1', content_price: 0.1 * 3 }],
      }),
    );
    expect(conversion.contents).toEqual([{ content_id: 'sku-1', content_price: 0.3 }]);
    expect(conversion.warnings).toEqual(['VALUE_ROUNDED contents[0].content_price']);
  });

  it('content_price follows the same currency, and reaches X as an exact number', async () => {
    const conversion = accepted(
      await server({
        event: 'purchase',
        twclid: TWCLID,
        currency: 'KWD',
        contents: [{ content_id: 'sku-1', content_price: '1.005' }, { content_price: 2 }],
      }),
    );
    expect(conversion.contents).toEqual([
      { content_id: 'sku-1', content_price: 1.005 },
      { content_price: 2 },
    ]);
    expect(JSON.stringify(conversion.contents)).toContain('"content_price":1.005');
    const messages = refused(
      await server({
        event: 'purchase',
        twclid: TWCLID,
        currency: 'JPY',
        contents: [{ content_price: 100 }, { content_price: 99.5 }],
      }),
    );
    expect(messages).toEqual([
      expect.stringContaining(
        'contents[1].content_price: content_price has more decimal places than JPY allows (0)',
      ),
    ]);
  });

  it.each([
    ['-1', 'value must be a number or a numeric string'],
    ['1e3', 'value must be a number or a numeric string'],
    ['1,50', 'value must be a number or a numeric string'],
    [-0.5, 'value must not be negative'],
    [10_000_000_000, 'value must be at most 1000000000'],
    ['9999999999', 'value must be at most 1000000000'],
  ])('%j is refused by shape: %s', async (value, message) => {
    const messages = refused(await server({ event: 'purchase', twclid: TWCLID, value }));
    expect(messages).toEqual([
      `value: ${message}${message.endsWith('string') ? ' such as "20.00"' : ''}`,
    ]);
  });
});

describe('late conversions', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  it.each([
    ['1 hour ago', NOW - 60 * 60 * 1000],
    ['8 days ago (refused before late conversions)', NOW - 8 * DAY],
    ['30 days ago', NOW - 30 * DAY],
    ['89 days 23 hours ago', NOW - 90 * DAY + 60 * 60 * 1000],
    ['2 minutes ahead (clock skew)', NOW + 2 * 60 * 1000],
  ])('server call, %s: accepted with that time', async (_name, ms) => {
    const conversion = accepted(
      await server({ event: 'purchase', twclid: TWCLID, conversion_time: iso(ms) }),
    );
    expect(conversion.conversion_time).toBe(iso(ms));
  });

  it.each([
    ['91 days ago', NOW - 91 * DAY, 'must be within the last 90 days (MAX_CONVERSION_AGE_DAYS)'],
    ['one year ago', NOW - 365 * DAY, 'must be within the last 90 days'],
    ['10 minutes ahead', NOW + 10 * 60 * 1000, 'must not be in the future'],
    ['one day ahead', NOW + DAY, 'must not be in the future'],
  ])('server call, %s: refused', async (_name, ms, message) => {
    const messages = refused(
      await server({ event: 'purchase', twclid: TWCLID, conversion_time: iso(ms) }),
    );
    expect(messages).toEqual([
      expect.stringContaining(`conversion_time: conversion_time ${message}`),
    ]);
  });

  it('the window follows maxConversionAgeDays', async () => {
    const event = { event: 'purchase', twclid: TWCLID, conversion_time: iso(NOW - 10 * DAY) };
    const strict = { ...RULES, maxConversionAgeDays: 7 };
    const outcome = await validateEvent(event, { rules: strict, caller: 'server', now: NOW });
    expect(refused(outcome)).toEqual([
      expect.stringContaining('within the last 7 days (MAX_CONVERSION_AGE_DAYS)'),
    ]);
  });

  it('browser calls keep "now" and may not send a conversion_time', async () => {
    const browser = (event: Record<string, unknown>) =>
      validateEvent(event, { rules: RULES, caller: 'browser', now: NOW });
    const conversion = accepted(await browser({ event: 'purchase', twclid: TWCLID }));
    expect(conversion.conversion_time).toBe(iso(NOW));
    for (const ms of [NOW - DAY, NOW + DAY]) {
      expect(
        refused(await browser({ event: 'purchase', twclid: TWCLID, conversion_time: iso(ms) })),
      ).toEqual([
        expect.stringContaining(
          'conversion_time: conversion_time is accepted only on server calls',
        ),
      ]);
    }
  });
});

describe('personal data in free text', () => {
  const FIELDS: Array<[string, (text: string) => Record<string, unknown>, string]> = [
    ['description', (t) => ({ description: t }), 'description'],
    ['conversion_id', (t) => ({ conversion_id: t }), 'conversion_id'],
    ['content_id', (t) => ({ contents: [{ content_id: t }] }), 'contents[0].content_id'],
    ['content_name', (t) => ({ contents: [{ content_name: t }] }), 'contents[0].content_name'],
    ['content_type', (t) => ({ contents: [{ content_type: t }] }), 'contents[0].content_type'],
    [
      'content_group_id',
      (t) => ({ contents: [{ num_items: 1 }, { content_group_id: t }] }),
      'contents[1].content_group_id',
    ],
  ];
  const PROSE = new Set(['description', 'content_name', 'content_type']);

  describe.each(FIELDS)('%s', (field, place, parameter) => {
    const emails =
      field === 'conversion_id'
        ? ['jane@example.com']
        : ['for jane@example.com', 'Jane.Doe+x@mail.example.org'];
    const phones = PROSE.has(field)
      ? ['call (415) 555-2671', 'ring +44 20 7946 0958 today', 'tel 415.555.2671', 'sms 4155552671']
      : field === 'conversion_id'
        ? ['+14155552671']
        : ['+14155552671', '(415) 555-2671', '+44 20 7946 0958'];
    // A run of digits is an id in an id field; in prose a valid number is a phone (above).
    const ids = [
      'A-2024-000123',
      'SKU-4155552671',
      'order_2024-11-29',
      '1234567890',
      '2024-000123',
      'v1.2.3',
    ].concat(PROSE.has(field) ? [] : ['4155552671', '415-555-2671']);
    const prose = PROSE.has(field)
      ? [
          'Order 2024-000123 (2 items)',
          'Pet supplies, 12 x 500 ml',
          'Sale 2024-01-15 12:30',
          'ref 100-2345-678',
          'Pack of 3 (500 ml)',
        ]
      : [];

    it.each([...emails, ...phones])(
      'drops %j with a warning, the conversion still goes',
      async (text) => {
        const outcome = await server({ event: 'purchase', twclid: TWCLID, ...place(text) });
        const conversion = accepted(outcome);
        expect(conversion.warnings).toEqual([`PERSONAL_DATA_DROPPED ${parameter}`]);
        expect(JSON.stringify(conversion)).not.toContain(text);
        if (outcome.ok) expect(outcome.warnings[0]?.message).not.toContain(text);
        if (field === 'conversion_id') expect(conversion.conversion_id).toMatch(/^[0-9a-f-]{36}$/);
      },
    );

    it.each([...ids, ...prose])('keeps %j', async (text) => {
      const conversion = accepted(
        await server({ event: 'purchase', twclid: TWCLID, ...place(text) }),
      );
      expect(conversion.warnings).toEqual([]);
      expect(JSON.stringify(conversion)).toContain(JSON.stringify(text));
    });
  });

  it('drops only the field that holds it, across several', async () => {
    const conversion = accepted(
      await server({
        event: 'purchase',
        twclid: TWCLID,
        description: 'Gift order',
        contents: [
          { content_id: 'sku-1', content_name: 'Mug for bob@example.com' },
          { content_id: 'sku-2', content_name: 'Plate' },
        ],
      }),
    );
    expect(conversion.warnings).toEqual(['PERSONAL_DATA_DROPPED contents[0].content_name']);
    expect(conversion.description).toBe('Gift order');
    expect(conversion.contents).toEqual([
      { content_id: 'sku-1' },
      { content_id: 'sku-2', content_name: 'Plate' },
    ]);
  });

  it('bounds the phone checks per event: past the budget, a phone-like run counts as a phone', async () => {
    const contents = Array.from({ length: PHONE_CHECKS_PER_EVENT + 4 }, (_, i) => ({
      content_id: `sku-${i}`,
      content_name: 'Order 2024-000123',
    }));
    const conversion = accepted(
      await server({ event: 'purchase', twclid: TWCLID, description: 'Blue mug', contents }),
    );
    // Each name needs one check: the first ones are checked and kept, the rest dropped.
    const kept = conversion.contents?.filter((c) => c.content_name !== undefined) ?? [];
    expect(kept).toHaveLength(PHONE_CHECKS_PER_EVENT);
    expect(conversion.warnings).toEqual(
      [0, 1, 2, 3].map(
        (k) => `PERSONAL_DATA_DROPPED contents[${PHONE_CHECKS_PER_EVENT + k}].content_name`,
      ),
    );
    expect(conversion.description).toBe('Blue mug');
  });
});

describe('consent carried by a server call', () => {
  const base = { event: 'purchase', twclid: TWCLID, value: '20.00', currency: 'USD' };

  it('ad_user_data denied: acknowledged, marked to skip, with one CONSENT_DENIED warning', async () => {
    const outcome = await server({ ...base, consent: { ad_user_data: 'denied' } });
    expect(outcome).toMatchObject({
      ok: true,
      skip: { event: 'purchase', reason: 'consent_denied' },
    });
    if (!outcome.ok) return;
    expect(outcome.warnings.map((w) => `${w.code} ${w.parameter}`)).toEqual([
      'CONSENT_DENIED consent.ad_user_data',
    ]);
  });

  it('names the event in a batch', async () => {
    const outcome = await server({ ...base, consent: { ad_user_data: 'denied' } }, 'events[2]');
    expect(outcome.ok && outcome.warnings[0]?.parameter).toBe('events[2].consent.ad_user_data');
  });

  it('granted, or ad_storage alone denied (it concerns the device): sent as usual', async () => {
    for (const consent of [
      { ad_user_data: 'granted', ad_storage: 'granted' },
      { ad_storage: 'denied' },
      {},
    ]) {
      const outcome = await server({ ...base, consent });
      expect(outcome.ok && outcome.skip, JSON.stringify(consent)).toBeFalsy();
      expect(accepted(outcome).warnings).toEqual([]);
    }
  });

  it('a denied event with a mistake in it is still refused for the mistake', async () => {
    const outcome = await server({ ...base, currency: 'XYZ', consent: { ad_user_data: 'denied' } });
    expect(refused(outcome)).toEqual(['currency: currency must be an ISO 4217 code such as USD']);
  });

  it('refuses values and fields Consent Mode does not have, naming them', async () => {
    expect(refused(await server({ ...base, consent: { ad_user_data: 'no' } }))).toEqual([
      'consent.ad_user_data: ad_user_data must be "granted" or "denied"',
    ]);
    expect(refused(await server({ ...base, consent: { analytics: 'denied' } }))).toEqual([
      'consent.analytics: Unknown field "analytics"; allowed fields are ad_storage, ad_user_data',
    ]);
    expect(refused(await server({ ...base, consent: 'denied' }))).toEqual([
      'consent: Expected a JSON object',
    ]);
  });

  it('is a server-only field: a browser says consent through the script', async () => {
    const outcome = await validateEvent(
      { ...base, consent: { ad_user_data: 'granted' } },
      { rules: RULES, caller: 'browser', now: NOW },
    );
    expect(refused(outcome)).toEqual([
      'consent: consent is accepted only on server calls (Authorization: Bearer SERVER_KEY)',
    ]);
  });
});

describe('unknown fields are named with the fields of their own object', () => {
  it('in contents, in consent and at the top', async () => {
    const outcome = await server({
      event: 'purchase',
      twclid: TWCLID,
      contents: [{ content_id: 'sku-1', sku: 'x' }],
      emial: 'jane@example.com',
    });
    expect(refused(outcome)).toEqual([
      'contents[0].sku: Unknown field "sku"; allowed fields are content_id, content_name, content_type, content_price, num_items, content_group_id',
      expect.stringMatching(
        /^emial: Unknown field "emial"; allowed fields are event, email, phone, /,
      ),
    ]);
  });

  it('a required field is named as required', async () => {
    expect(refused(await server({ twclid: TWCLID }))).toEqual(['event: event is required']);
  });
});
