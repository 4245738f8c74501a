/**
 * @module
 * The Worker's entry point: HTTP through the Hono app; the delivery queue and
 * its dead letter queue (edge/delivery); and the Durable Object class, one per
 * pixel: `DeliveryLedger` (edge/delivery/delivery-ledger.ts).
 */
import { appFor } from './app.ts';
import { configFor, settingsOf } from './config.ts';
import { keepDeadLetters } from './delivery/dead-letter-consumer.ts';
import { DEAD_LETTER_QUEUE_NAME } from './delivery/message.ts';
import { deliverBatch } from './delivery/queue-consumer.ts';
import { recordingOutbound } from './demo/outbox.ts';
import type { Env } from './env.ts';
import { sendConversions } from './x-api/x-client.ts';

export { DeliveryLedger } from './delivery/delivery-ledger.ts';

export default {
  fetch(request, env, ctx) {
    return appFor(env).fetch(request, env, ctx);
  },
  async queue(batch, env) {
    if (batch.queue === DEAD_LETTER_QUEUE_NAME) return keepDeadLetters(batch, env);
    const result = configFor(env);
    const { demo } = settingsOf(result);
    const send = demo ? recordingOutbound(sendConversions) : sendConversions;
    await deliverBatch(batch, env, { send });
  },
} satisfies ExportedHandler<Env>;
