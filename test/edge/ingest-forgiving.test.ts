/**
 * `POST /events` keeps what it can and says so, through the real app in
 * workerd: the 202's `warnings` (single events, batches, beacons, forms),
 * what reaches the delivery queue (never a dropped value), the 400 when
 * nothing usable is left, and one batch delivered to the fake X end to end
 * with a late conversion, a three-decimal amount, an IP without user agent
 * and a dropped description. The rules themselves are tabled in
 * test/node/ingest-rules.test.ts.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import type { Env } from '../../edge/env.ts';
import { fakeXControl } from '../fake-x/control.ts';
import { captureConsole, createEdge, SERVER_KEY } from './hostile-harness.ts';

const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const twclidCookie = `_twclid=${encodeURIComponent(JSON.stringify({ twclid: TWCLID, timestamp: Date.now() }))}`;

interface Answer {
  accepted?: number;
  conversion_ids?: string[];
  warnings?: Array<{ code: string; parameter: string; message: string }>;
  errors?: Array<{ code: string; parameter: string; message: string }>;
}

describe('POST /events answers with warnings', () => {
  const edge = createEdge({ BROWSER_RATE_LIMITER: undefined });

  async function call(spec: Parameters<typeof edge.call>[0]) {
    const before = edge.recorder.messages.length;
    const res = await edge.call(spec);
    return {
      status: res.status,
      body: res.json as Answer,
      text: res.text,
      queued: edge.recorder.messages.slice(before),
    };
  }

  it('a beacon with a typo in the email and a click id cookie: 202, the email left out', async () => {
    const { status, body, queued, text } = await call({
      json: { event: 'lead', email: 'john.typo@gmail' },
      headers: { cookie: twclidCookie },
    });
    expect(status, text).toBe(202);
    expect(body.warnings).toEqual([
      {
        code: 'IDENTIFIER_DROPPED',
        parameter: 'email',
        message: expect.stringContaining('email is not a valid email address'),
      },
    ]);
    expect(text).not.toContain('john.typo');
    expect(queued).toHaveLength(1);
    expect(queued[0]?.conversion.identifiers).toEqual([{ twclid: TWCLID }]);
  });

  it('the same beacon without a click id: 400 in X shape naming the email, nothing queued', async () => {
    const { status, body, queued } = await call({
      json: { event: 'lead', email: 'john.typo@gmail' },
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      {
        code: 'INVALID_PARAMETER',
        parameter: 'email',
        message: 'email is not a valid email address',
      },
    ]);
    expect(queued).toEqual([]);
  });

  it('the log says which fields were left out, never their values', async () => {
    const { result, logs } = await captureConsole(() =>
      call({
        json: { event: 'lead', email: 'john.typo@gmail', description: 'for jo@example.com' },
        headers: { cookie: twclidCookie },
      }),
    );
    expect(result.status).toBe(202);
    const line = logs.find((l) => l.includes('fields left out'));
    expect(line).toBeDefined();
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      count: 1,
      dropped: ['IDENTIFIER_DROPPED email', 'PERSONAL_DATA_DROPPED description'],
    });
    expect(logs.join('\n')).not.toMatch(/john\.typo|jo@example/);
  });

  it('a valid answer carries no warnings key at all', async () => {
    const { status, body } = await call({ json: { event: 'lead', twclid: TWCLID } });
    expect(status).toBe(202);
    expect(body).not.toHaveProperty('warnings');
  });

  it('a server batch: each warning names its event, every conversion is queued', async () => {
    const events = Array.from({ length: 5 }, (_, i) => ({
      event: 'purchase',
      twclid: TWCLID,
      conversion_id: `order-${i}`,
    }));
    events[3] = { ...events[3], phone: '+1 (123) 456-78' } as (typeof events)[number];
    events[1] = {
      ...events[1],
      description: 'gift for jane.secret@example.com',
    } as (typeof events)[number];
    const { status, body, queued, text } = await call({
      json: { events },
      server: true,
      origin: null,
    });
    expect(status, text).toBe(202);
    expect(body.accepted).toBe(5);
    expect(body.warnings?.map((w) => `${w.code} ${w.parameter}`)).toEqual([
      'PERSONAL_DATA_DROPPED events[1].description',
      'IDENTIFIER_DROPPED events[3].phone',
    ]);
    expect(queued.map((m) => m.conversion.conversion_id)).toEqual(body.conversion_ids);
    expect(JSON.stringify(queued)).not.toContain('jane.secret');
    expect(text).not.toContain('jane.secret');
    expect(queued[1]?.conversion).not.toHaveProperty('description');
  });

  it('a server batch with one event left without identifiers: 400 naming it, nothing queued', async () => {
    const { status, body, queued } = await call({
      json: {
        events: [
          { event: 'purchase', twclid: TWCLID },
          { event: 'purchase', phone: 'n/a' },
        ],
      },
      server: true,
      origin: null,
    });
    expect(status).toBe(400);
    expect(body.errors?.map((e) => e.parameter)).toEqual(['events[1].phone']);
    expect(queued).toEqual([]);
  });

  it('an email in a content name never reaches the queue', async () => {
    const { status, body, queued } = await call({
      json: {
        event: 'purchase',
        twclid: TWCLID,
        contents: [{ content_id: 'A-2024-000123', content_name: 'Engraved for bob@example.com' }],
      },
    });
    expect(status).toBe(202);
    expect(body.warnings?.map((w) => w.parameter)).toEqual(['contents[0].content_name']);
    expect(queued[0]?.conversion.contents).toEqual([{ content_id: 'A-2024-000123' }]);
  });

  it('a form post with a bad phone still goes on to its page and queues the conversion', async () => {
    const { status, queued } = await call({
      contentType: 'application/x-www-form-urlencoded',
      body: 'event=lead&email=a%40example.com&phone=12&redirect=%2Fthanks',
    });
    expect(status).toBe(303);
    expect(queued).toHaveLength(1);
    const kinds = queued[0]?.conversion.identifiers.flatMap((i) => Object.keys(i));
    expect(kinds).toContain('hashed_email');
    expect(kinds).not.toContain('hashed_phone_number');
  });

  it('exact values: KWD keeps three decimals, a USD amount with three is refused', async () => {
    const kwd = await call({
      json: { event: 'purchase', twclid: TWCLID, value: 1.005, currency: 'KWD' },
    });
    expect(kwd.status).toBe(202);
    expect(kwd.queued[0]?.conversion.value).toBe('1.005');
    const usd = await call({ json: { event: 'purchase', twclid: TWCLID, value: 1.005 } });
    expect(usd.status).toBe(400);
    expect(usd.body.errors).toEqual([
      {
        code: 'INVALID_PARAMETER',
        parameter: 'value',
        message: expect.stringContaining('more decimal places than USD allows (2)'),
      },
    ]);
    expect(usd.queued).toEqual([]);
  });

  it('late conversions: a server call 60 days back is accepted, a browser call cannot set the time', async () => {
    const time = iso(Date.now() - 60 * DAY);
    const late = await call({
      json: { event: 'purchase', twclid: TWCLID, conversion_time: time },
      server: true,
      origin: null,
    });
    expect(late.status).toBe(202);
    expect(late.queued[0]?.conversion.conversion_time).toBe(time);
    const browser = await call({
      json: { event: 'purchase', twclid: TWCLID, conversion_time: time },
    });
    expect(browser.status).toBe(400);
    expect(browser.body.errors?.[0]?.parameter).toBe('conversion_time');
  });

  it('MAX_CONVERSION_AGE_DAYS narrows the window', async () => {
    const strict = createEdge({ MAX_CONVERSION_AGE_DAYS: '7' });
    const res = await strict.call({
      json: { event: 'purchase', twclid: TWCLID, conversion_time: iso(Date.now() - 8 * DAY) },
      server: true,
      origin: null,
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('within the last 7 days');
  });
});

describe('a forgiven batch at the fake X, end to end', () => {
  const fakeX = fakeXControl(inject('fakeXUrl'));
  const DEADLINE_MS = 15_000;

  it(
    'X gets the late conversion, the exact amount, the lone IP, and no dropped field',
    async () => {
      const account = await fakeX.addAccount();
      const bindings: Env = {
        ...env,
        X_PIXEL_ID: account.pixelId,
        X_EVENTS: JSON.stringify(account.events),
      };
      const time = iso(Date.now() - 45 * DAY);
      const ctx = createExecutionContext();
      const res = await createApp('').fetch(
        new Request('https://edge.example/events', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVER_KEY}` },
          body: JSON.stringify({
            events: [
              {
                event: 'purchase',
                twclid: TWCLID,
                phone: '555-01',
                ip_address: '198.51.100.7',
                value: '12.345',
                currency: 'KWD',
                conversion_time: time,
                conversion_id: 'crm-7001',
                description: 'call back on 415-555-2671',
              },
            ],
          }),
        }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(202);
      const body = (await res.json()) as Answer;
      expect(body.warnings?.map((w) => `${w.code} ${w.parameter}`)).toEqual([
        'IDENTIFIER_DROPPED events[0].phone',
        'PERSONAL_DATA_DROPPED events[0].description',
      ]);

      const received = await fakeX.receivedWhen(
        account.pixelId,
        (r) => r.conversions.length > 0,
        DEADLINE_MS,
      );
      expect(received.conversions).toEqual([
        {
          conversion_time: time,
          event_id: account.events.purchase,
          identifiers: [{ twclid: TWCLID }, { ip_address: '198.51.100.7' }],
          conversion_id: 'crm-7001',
          value: '12.345',
          price_currency: 'KWD',
        },
      ]);
    },
    DEADLINE_MS + 5_000,
  );
});
