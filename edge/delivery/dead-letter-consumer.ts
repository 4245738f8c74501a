/**
 * @module
 * Consumer of the dead letter queue: says loudly, once per conversion, why it
 * was given up on, so an operator can fix the tag or the data and resend.
 * Two kinds of letter arrive: those the delivery consumer put there with X's
 * 400 error, and plain delivery messages Cloudflare moved after `max_retries`.
 * Logs carry ids and X's error only: identifiers are hashed, but still stay out.
 */
import { log } from '../log.ts';
import { type DeadLetter, isDeliveryMessage } from './message.ts';

function isDeadLetter(body: unknown): body is DeadLetter {
  return isDeliveryMessage(body) && typeof (body as Partial<DeadLetter>).reason === 'object';
}

/** The log line for one dead letter, without identifiers. */
export function describeDeadLetter(body: unknown): Record<string, unknown> {
  if (isDeadLetter(body)) {
    return {
      msg: 'conversion rejected by X',
      pixelId: body.pixelId,
      eventId: body.conversion.event_id,
      conversionId: body.conversion.conversion_id,
      reason: body.reason,
      acceptedAt: new Date(body.acceptedAt).toISOString(),
    };
  }
  if (isDeliveryMessage(body)) {
    return {
      msg: 'conversion undelivered after max_retries',
      pixelId: body.pixelId,
      eventId: body.conversion.event_id,
      conversionId: body.conversion.conversion_id,
      reason: { kind: 'retries-exhausted' },
      acceptedAt: new Date(body.acceptedAt).toISOString(),
    };
  }
  return { msg: 'malformed message on the dead letter queue', reason: { kind: 'malformed' } };
}

/**
 * Logs every dead letter as an error and acknowledges it: Workers Logs keep
 * the record, and retrying here could never succeed.
 *
 * @example
 * if (batch.queue === DEAD_LETTER_QUEUE_NAME) return logDeadLetters(batch);
 */
export function logDeadLetters(batch: MessageBatch<unknown>): void {
  for (const msg of batch.messages) {
    const { msg: text, ...fields } = describeDeadLetter(msg.body);
    log.error(String(text), { ...fields, message_id: msg.id });
    msg.ack();
  }
}
