/**
 * A server call that carries the person's consent, in workerd with the real
 * app and the pixel's real `DeliveryLedger`: a conversion whose
 * `ad_user_data` is denied is answered 202 with a `CONSENT_DENIED` warning,
 * nothing of it is queued or logged, and `/status` counts it as skipped.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { captureConsole, createEdge, SERVER_KEY } from './hostile-harness.ts';

const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
const EMAIL = 'jane.consent@example.com';

/** A pixel id of this test's own, so its ledger's counts start at zero. */
function freshEdge() {
  return createEdge({ X_PIXEL_ID: `consent${crypto.randomUUID().slice(0, 8)}` });
}

function serverCall(json: unknown) {
  return { json, contentType: 'application/json', origin: null, server: true } as const;
}

async function skippedPurchases(edge: ReturnType<typeof freshEdge>) {
  const res = await edge.call({
    method: 'GET',
    path: '/status',
    origin: null,
    headers: { authorization: `Bearer ${SERVER_KEY}` },
  });
  const body = res.json as {
    windows: Record<'1h' | '24h', { events: Record<string, { skipped: object }> }>;
  };
  return { '1h': body.windows['1h'].events.purchase, '24h': body.windows['24h'].events.purchase };
}

describe('consent on a server call', () => {
  it('ad_user_data denied: 202 with CONSENT_DENIED, nothing queued or logged, counted as skipped', async () => {
    const edge = freshEdge();
    const { result: res, logs } = await captureConsole(() =>
      edge.call(
        serverCall({
          events: [
            { event: 'purchase', twclid: TWCLID, email: EMAIL, conversion_id: 'kept-1' },
            {
              event: 'purchase',
              twclid: TWCLID,
              email: EMAIL,
              ip_address: '192.0.2.44',
              conversion_id: 'denied-1',
              consent: { ad_storage: 'granted', ad_user_data: 'denied' },
            },
          ],
        }),
      ),
    );
    expect(res.status).toBe(202);
    expect(res.json).toEqual({
      accepted: 1,
      conversion_ids: ['kept-1'],
      skipped: 1,
      warnings: [
        {
          code: 'CONSENT_DENIED',
          parameter: 'events[1].consent.ad_user_data',
          message: expect.stringContaining('not sent to X'),
        },
      ],
    });
    expect(edge.recorder.messages.map((m) => m.conversion.conversion_id)).toEqual(['kept-1']);
    const logged = logs.join('\n');
    expect(logged).not.toContain('denied-1');
    expect(logged).not.toContain('192.0.2.44');
    expect(logged).not.toContain(EMAIL);

    const status = await skippedPurchases(edge);
    expect(status['1h']?.skipped).toEqual({ consent_denied: 1 });
    expect(status['24h']?.skipped).toEqual({ consent_denied: 1 });
  });

  it('granted, or only ad_storage denied: queued as usual and nothing skipped', async () => {
    const edge = freshEdge();
    const res = await edge.call(
      serverCall({
        events: [
          {
            event: 'purchase',
            twclid: TWCLID,
            conversion_id: 'g-1',
            consent: { ad_user_data: 'granted' },
          },
          {
            event: 'purchase',
            twclid: TWCLID,
            conversion_id: 'g-2',
            consent: { ad_storage: 'denied' },
          },
        ],
      }),
    );
    expect(res.json).toEqual({ accepted: 2, conversion_ids: ['g-1', 'g-2'] });
    expect(edge.recorder.messages).toHaveLength(2);
    expect((await skippedPurchases(edge))['1h']).toBeUndefined();
  });

  it('a browser call may not carry consent: it is the script that says it', async () => {
    const edge = freshEdge();
    const res = await edge.call({
      json: { event: 'purchase', twclid: TWCLID, consent: { ad_user_data: 'granted' } },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      errors: [
        {
          code: 'INVALID_PARAMETER',
          parameter: 'consent',
          message: 'consent is accepted only on server calls (Authorization: Bearer SERVER_KEY)',
        },
      ],
    });
    expect(edge.recorder.messages).toEqual([]);
  });

  it('verify refuses a denied conversion instead of sending it', async () => {
    const edge = createEdge({ X_PIXEL_ID: env.X_PIXEL_ID });
    const res = await edge.call({
      ...serverCall({ event: 'purchase', twclid: TWCLID, consent: { ad_user_data: 'denied' } }),
      path: '/events/verify',
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      errors: [{ code: 'INVALID_PARAMETER', parameter: 'consent.ad_user_data' }],
    });
  });
});
