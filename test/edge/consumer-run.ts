/**
 * @module
 * Runs the delivery consumer on one message batch, as the queue tests need it:
 * the queue result plus each retried message's `delaySeconds`, which
 * `getQueueResult` does not report (recorded by watching `msg.retry`).
 */
import { createExecutionContext, getQueueResult } from 'cloudflare:test';
import type { QueuedConversions } from '../../edge/delivery/message.ts';
import { type DeliveryOptions, deliverBatch } from '../../edge/delivery/queue-consumer.ts';
import type { Env } from '../../edge/env.ts';

export async function runConsumer(
  batch: MessageBatch<QueuedConversions>,
  testEnv: Env,
  options: DeliveryOptions,
) {
  const delays = new Map<string, number | undefined>();
  for (const msg of batch.messages) {
    const retry = msg.retry.bind(msg);
    msg.retry = (retryOptions?: QueueRetryOptions) => {
      delays.set(msg.id, retryOptions?.delaySeconds);
      retry(retryOptions);
    };
  }
  const ctx = createExecutionContext();
  await deliverBatch(batch, testEnv, options);
  const result = await getQueueResult(batch, ctx);
  return {
    ...result,
    retryMessages: result.retryMessages.map((m) => ({ ...m, delaySeconds: delays.get(m.msgId) })),
  };
}
