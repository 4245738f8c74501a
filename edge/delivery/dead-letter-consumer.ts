/**
 * @module
 * Consumer of the dead letter queue, where Cloudflare moves delivery messages
 * that ran out of `max_retries` (X kept failing, 5xx or timeouts, for days).
 * Each is handed to its pixel's `DeliveryLedger` as an `expired` dead letter,
 * kept 30 days with its payload for redrive, and only then acked: if the
 * ledger cannot take it, the message is retried, never dropped. Log lines
 * carry ids only: identifiers are hashed, but still stay out.
 */
import type { Env } from '../env.ts';
import { errorName, log } from '../log.ts';
import { ledgerOf } from './ledger-stub.ts';
import { conversionsOf, type DeliveryMessage, eventName, ledgerKey } from './message.ts';

/** The log line for one dead letter, without identifiers. */
export function describeDeadLetter(body: DeliveryMessage | undefined): Record<string, unknown> {
  if (body) {
    return {
      msg: 'conversion undelivered after max_retries: kept as a dead letter',
      pixel_id: body.pixelId,
      event_id: body.conversion.event_id,
      conversion_id: body.conversion.conversion_id,
      reason: 'expired',
    };
  }
  return { msg: 'malformed message on the dead letter queue', reason: 'malformed' };
}

/**
 * Keeps every conversion of every dead-lettered message in its pixel's ledger.
 *
 * @example
 * if (batch.queue === DEAD_LETTER_QUEUE_NAME) return keepDeadLetters(batch, env);
 */
export async function keepDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const conversions = conversionsOf(msg.body);
    if (!conversions) {
      const { msg: line, ...fields } = describeDeadLetter(undefined);
      log.error(String(line), { ...fields, message_id: msg.id });
      msg.ack();
      continue;
    }
    try {
      for (const body of conversions) {
        const { msg: line, ...fields } = describeDeadLetter(body);
        log.error(String(line), { ...fields, message_id: msg.id });
        const ledger = ledgerOf(env, body.pixelId);
        if (!ledger) throw new Error('DELIVERY_LEDGER binding missing');
        await ledger.keepDeadLetter({
          key: ledgerKey(body),
          event: eventName(body),
          reason: 'expired',
          status: null,
          message: 'gave up after max_retries: X kept failing (5xx or timeouts)',
          body,
        });
      }
      msg.ack();
    } catch (err) {
      log.error('could not keep dead letter, retrying', {
        message_id: msg.id,
        error: errorName(err),
      });
      msg.retry({ delaySeconds: 60 });
    }
  }
}
