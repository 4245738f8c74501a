/**
 * Global Privacy Control (`Sec-GPC: 1`, an opt-out of sharing under
 * California law) on browser calls: answered 2xx, nothing forwarded to X,
 * nothing stored in the browser, and the answer says so. Checked against the
 * recording queue, and once end to end against the fake X API.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { fakeXControl, type Received } from '../fake-x/control.ts';
import { ALLOWED_ORIGIN, captureConsole, createEdge } from './hostile-harness.ts';

const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const EMAIL = 'gpc.shopper@example.com';
const GPC = { 'sec-gpc': '1' };
const twclidCookie = `_twclid=${encodeURIComponent(JSON.stringify({ twclid: TWCLID, timestamp: Date.now() }))}`;

describe('Sec-GPC: 1 on browser calls', () => {
  const edge = createEdge();

  it('POST /events: 202 with accepted 0 and gpc true, nothing queued, nothing personal logged', async () => {
    const { result: res, logs } = await captureConsole(() =>
      edge.call({
        json: { event: 'purchase', email: EMAIL, value: 99, conversion_id: 'gpc-order-1' },
        headers: { ...GPC, cookie: twclidCookie, 'cf-connecting-ip': '198.51.100.88' },
      }),
    );
    expect(res.status).toBe(202);
    expect(res.json).toEqual({
      accepted: 0,
      conversion_ids: [],
      gpc: true,
      message: expect.stringContaining('nothing was forwarded'),
    });
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(edge.recorder.messages).toEqual([]);
    const logged = logs.join('\n');
    for (const needle of [EMAIL, TWCLID, '198.51.100.88', 'gpc-order-1']) {
      expect(logged).not.toContain(needle);
    }
  });

  it('an HTML form with a redirect: 303 to the site saying GPC was honoured, nothing queued', async () => {
    const res = await edge.call({
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ event: 'lead', email: EMAIL, redirect: '/thanks' }).toString(),
      headers: GPC,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${ALLOWED_ORIGIN}/thanks`);
    expect(res.headers.get('x-xcapi-gpc')).toBe('honoured');
    expect(edge.recorder.messages).toEqual([]);
  });

  it('whatever the event says, nothing is queued: GPC is honoured before any field is looked at', async () => {
    for (const json of [
      { event: 'signup', phone: '+16502530000' },
      { event: 'purchase', twclid: TWCLID },
      { event: 'lead', email: EMAIL, contents: [{ content_id: 'sku-1' }] },
    ]) {
      const res = await edge.call({ json, headers: GPC });
      expect(res.status).toBe(202);
      expect((res.json as { gpc?: boolean }).gpc).toBe(true);
    }
    expect(edge.recorder.messages).toEqual([]);
  });

  it('is still subject to the origin policy (no free pass for other sites)', async () => {
    const res = await edge.call({
      json: { event: 'purchase', email: EMAIL },
      origin: 'https://evil.example',
      headers: GPC,
    });
    expect(res.status).toBe(403);
  });

  it('Sec-GPC other than "1" is not an opt-out', async () => {
    const before = edge.recorder.messages.length;
    const res = await edge.call({
      json: { event: 'purchase', email: EMAIL },
      headers: { 'sec-gpc': '0' },
    });
    expect(res.status).toBe(202);
    expect(edge.recorder.messages.length).toBe(before + 1);
  });

  it('POST /click: 204 without a cookie', async () => {
    const res = await edge.fetch(
      new Request('https://edge.example/click', {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: ALLOWED_ORIGIN, ...GPC },
        body: JSON.stringify({ twclid: TWCLID }),
      }),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

describe('Sec-GPC: 1, end to end', () => {
  const fakeX = fakeXControl(inject('fakeXUrl'));
  /** Queue batching (max_batch_timeout 2 s) plus the request to the fake. */
  const DEADLINE_MS = 15_000;

  it(
    'the opted-out conversion never reaches X, while the next one does',
    async () => {
      const account = await fakeX.addAccount();
      const bindings = {
        ...env,
        X_PIXEL_ID: account.pixelId,
        X_EVENTS: JSON.stringify(account.events),
      };
      const app = createApp('');
      const beacon = (conversionId: string, headers: Record<string, string>) =>
        new Request('https://edge.example/events', {
          method: 'POST',
          headers: { 'content-type': 'text/plain', origin: ALLOWED_ORIGIN, ...headers },
          body: JSON.stringify({ event: 'purchase', email: EMAIL, conversion_id: conversionId }),
        });
      for (const [id, headers] of [
        ['gpc-e2e-opted-out', GPC],
        ['gpc-e2e-sentinel', {}],
      ] as const) {
        const ctx = createExecutionContext();
        const res = await app.fetch(beacon(id, headers), bindings, ctx);
        await waitOnExecutionContext(ctx);
        expect(res.status).toBe(202);
      }

      const deadline = Date.now() + DEADLINE_MS;
      let received: Received = await fakeX.received(account.pixelId);
      while (received.conversions.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        received = await fakeX.received(account.pixelId);
      }
      expect(received.conversions.map((c) => c.conversion_id)).toEqual(['gpc-e2e-sentinel']);
    },
    DEADLINE_MS + 5_000,
  );
});
