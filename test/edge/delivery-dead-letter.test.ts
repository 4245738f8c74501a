/**
 * The dead letter queue's consumer: every letter is logged once with why it
 * was given up on (X's 400 error, or retries exhausted), without identifiers,
 * and acknowledged.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logDeadLetters } from '../../edge/delivery/dead-letter-consumer.ts';
import {
  DEAD_LETTER_QUEUE_NAME,
  type DeadLetter,
  type DeliveryMessage,
} from '../../edge/delivery/message.ts';

const HASH = 'f'.repeat(64);
const message: DeliveryMessage = {
  pixelId: 'o9d7n',
  conversion: {
    conversion_time: '2026-11-28T10:00:00.000Z',
    event_id: 'o9d2g',
    identifiers: [{ hashed_email: HASH }],
    conversion_id: 'order-7',
  },
  acceptedAt: Date.UTC(2026, 10, 28, 10, 0, 1),
};
const rejected: DeadLetter = {
  ...message,
  reason: {
    kind: 'rejected',
    status: 400,
    errors: [
      {
        code: 'INVALID_PARAMETER',
        message: 'value (x) is not a valid decimal',
        parameter: 'value',
      },
    ],
  },
  deadAt: Date.UTC(2026, 10, 28, 10, 0, 5),
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('logDeadLetters', () => {
  it('logs X’s reason or exhausted retries per letter, without identifiers, and acks all', async () => {
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      lines.push(JSON.parse(String(line)));
    });
    const batch = createMessageBatch<unknown>(DEAD_LETTER_QUEUE_NAME, [
      { id: 'a', timestamp: new Date(), attempts: 1, body: rejected },
      { id: 'b', timestamp: new Date(), attempts: 1, body: message },
      { id: 'c', timestamp: new Date(), attempts: 1, body: 'not a conversion' },
    ]);
    const ctx = createExecutionContext();
    logDeadLetters(batch);
    const result = await getQueueResult(batch, ctx);

    expect(result.explicitAcks.sort()).toEqual(['a', 'b', 'c']);
    expect(lines).toEqual([
      {
        level: 'error',
        msg: 'conversion rejected by X',
        pixel_id: 'o9d7n',
        event_id: 'o9d2g',
        conversion_id: 'order-7',
        reason: rejected.reason,
        accepted_at: '2026-11-28T10:00:01.000Z',
        message_id: 'a',
      },
      {
        level: 'error',
        msg: 'conversion undelivered after max_retries',
        pixel_id: 'o9d7n',
        event_id: 'o9d2g',
        conversion_id: 'order-7',
        reason: { kind: 'retries-exhausted' },
        accepted_at: '2026-11-28T10:00:01.000Z',
        message_id: 'b',
      },
      {
        level: 'error',
        msg: 'malformed message on the dead letter queue',
        reason: { kind: 'malformed' },
        message_id: 'c',
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain(HASH);
  });
});
