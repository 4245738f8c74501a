/**
 * The dead letter queue's consumer: a conversion Cloudflare gave up on (it ran
 * out of max_retries) is kept by its pixel's ledger as an `expired` dead
 * letter, logged without identifiers, and only then acknowledged.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepDeadLetters } from '../../edge/delivery/dead-letter-consumer.ts';
import { DEAD_LETTER_QUEUE_NAME, type DeliveryMessage } from '../../edge/delivery/message.ts';

const HASH = 'f'.repeat(64);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('keepDeadLetters', () => {
  it('keeps each letter in its pixel ledger, logs ids only, and acks', async () => {
    const pixelId = `dl${Date.now().toString(36)}`;
    const message: DeliveryMessage = {
      pixelId,
      source: 'server',
      event: 'purchase',
      conversion: {
        conversion_time: '2026-11-28T10:00:00.000Z',
        event_id: 'o9d2g',
        identifiers: [{ hashed_email: HASH }],
        conversion_id: 'order-7',
      },
      acceptedAt: Date.UTC(2026, 10, 28, 10, 0, 1),
    };
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    const batch = createMessageBatch<unknown>(DEAD_LETTER_QUEUE_NAME, [
      { id: 'b', timestamp: new Date(), attempts: 1, body: { conversions: [message] } },
      { id: 'c', timestamp: new Date(), attempts: 1, body: 'not a conversion' },
    ]);
    const ctx = createExecutionContext();
    await keepDeadLetters(batch, env);
    const result = await getQueueResult(batch, ctx);

    expect(result.explicitAcks.sort()).toEqual(['b', 'c']);
    const ns = env.DELIVERY_LEDGER;
    if (!ns) throw new Error('DELIVERY_LEDGER binding missing');
    const { dead_letters } = await ns.get(ns.idFromName(pixelId)).deadLetters({ limit: 10 });
    expect(dead_letters).toEqual([
      {
        conversion_id: 'order-7',
        event: 'purchase',
        reason: 'expired',
        status: null,
        message: 'gave up after max_retries: X kept failing (5xx or timeouts)',
        accepted_at: '2026-11-28T10:00:01.000Z',
        dead_at: expect.any(String),
      },
    ]);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      'conversion undelivered after max_retries: kept as a dead letter',
      'malformed message on the dead letter queue',
    ]);
    expect(lines.join('\n')).not.toContain(HASH);
  });
});
