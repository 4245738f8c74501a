/**
 * `dispatchConversions`, the ingest side of delivery: a 202 may only follow a
 * stored message, so a queue that refuses or is missing means a 503 in X's shape.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { dispatchConversions } from '../../edge/delivery/dispatch.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { configOf, recordingQueue } from './hostile-harness.ts';

const config = configOf(env);

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

describe('dispatchConversions', () => {
  it('stores the conversions of one call in as few queue messages as fit in 60 KB', async () => {
    const { queue, messages, batches, sizes } = recordingQueue();
    await dispatchConversions({ queue, pixelId: 'o9d7n', config }, conversions(250), 'server');
    // Each conversion is about 0.5 KB here: 250 need three messages, in one sendBatch.
    expect(batches).toEqual([sizes.length]);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(250);
    expect(sizes.length).toBeLessThanOrEqual(3);
    expect(messages.map((m) => m.conversion.conversion_id)).toEqual(
      conversions(250).map((c) => c.conversion_id),
    );
    const first = messages[0];
    expect(first?.pixelId).toBe('o9d7n');
    expect(first?.conversion.conversion_id).toBe('order-0');
    expect(typeof first?.acceptedAt).toBe('number');
    // The address travels sealed: no raw IP is stored on the queue.
    expect(first?.conversion.identifiers).toEqual([{ hashed_email: 'a'.repeat(64) }]);
    expect(typeof first?.sealedAddress).toBe('string');
    expect(JSON.stringify(messages)).not.toContain('198.51.100.23');
  });

  it('answers 503 in X’s error shape when the queue refuses', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const { queue } = recordingQueue({ refuse: true });
    await expect(
      dispatchConversions({ queue, pixelId: 'o9d7n', config }, conversions(3), 'server'),
    ).rejects.toMatchObject({
      status: 503,
      headers: { 'Retry-After': '5' },
      errors: [
        { code: 'SERVICE_UNAVAILABLE', message: 'could not store the conversions, retry later' },
      ],
    });
  });

  it('answers 503 rather than accepting when no queue is bound', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(
      dispatchConversions({ queue: undefined, pixelId: 'o9d7n', config }, conversions(1), 'server'),
    ).rejects.toMatchObject({
      status: 503,
      errors: [{ code: 'SERVICE_UNAVAILABLE', message: 'delivery queue is not configured' }],
    });
  });
});
