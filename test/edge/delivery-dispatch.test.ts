/**
 * `dispatchConversions`, the ingest side of delivery: a 202 may only follow a
 * stored message. A tiny app calls it the way the events route does, with
 * queues that record, refuse, or are missing.
 */
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { type AppEnv, configFor } from '../../edge/app.ts';
import { dispatchConversions } from '../../edge/delivery/dispatch.ts';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import type { Env } from '../../edge/env.ts';
import { handleError } from '../../edge/errors.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';

function conversions(n: number): XConversion[] {
  return Array.from({ length: n }, (_, i) => ({
    conversion_time: '2026-11-28T10:00:00.000Z',
    event_id: 'o9d2g',
    identifiers: [
      { hashed_email: 'a'.repeat(64) },
      { ip_address: '198.51.100.23', user_agent: 'Mozilla/5.0 Test' },
    ],
    conversion_id: `order-${i}`,
  }));
}

function appSending(n: number): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('configResult', configFor(c.env));
    await next();
  });
  app.post('/events', async (c) => {
    await dispatchConversions(c, conversions(n), 'server');
    return c.json({ accepted: n }, 202);
  });
  app.onError(handleError);
  return app;
}

function recordingQueue(fail = false) {
  const sent: DeliveryMessage[][] = [];
  const queue = {
    async send() {
      throw new Error('use sendBatch');
    },
    async sendBatch(messages: Iterable<MessageSendRequest<DeliveryMessage>>) {
      if (fail) throw new Error('Queue is overloaded');
      sent.push([...messages].map((m) => m.body));
    },
  } as unknown as Queue<DeliveryMessage>;
  return { queue, sent };
}

async function post(app: Hono<AppEnv>, testEnv: Env): Promise<Response> {
  return app.request('/events', { method: 'POST' }, testEnv);
}

describe('dispatchConversions', () => {
  it('stores one message per conversion, in batches of at most 100, before the 202', async () => {
    const { queue, sent } = recordingQueue();
    const res = await post(appSending(250), { ...env, DELIVERY_QUEUE: queue });
    expect(res.status).toBe(202);
    expect(sent.map((b) => b.length)).toEqual([100, 100, 50]);
    const first = sent[0]?.[0];
    expect(first?.pixelId).toBe('o9d7n');
    expect(first?.conversion.conversion_id).toBe('order-0');
    expect(typeof first?.acceptedAt).toBe('number');
    // The address travels sealed: no raw IP is stored on the queue.
    expect(first?.conversion.identifiers).toEqual([{ hashed_email: 'a'.repeat(64) }]);
    expect(typeof first?.sealedAddress).toBe('string');
    expect(JSON.stringify(sent)).not.toContain('198.51.100.23');
  });

  it('answers 503 in X’s error shape when the queue refuses', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const { queue } = recordingQueue(true);
    const res = await post(appSending(3), { ...env, DELIVERY_QUEUE: queue });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({
      errors: [
        { code: 'SERVICE_UNAVAILABLE', message: 'could not store the conversions, retry later' },
      ],
    });
  });

  it('answers 503 rather than accepting when no queue is bound', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await post(appSending(1), { ...env, DELIVERY_QUEUE: undefined });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      errors: [{ code: 'SERVICE_UNAVAILABLE', message: 'delivery queue is not configured' }],
    });
  });
});
