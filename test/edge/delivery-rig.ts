/**
 * @module
 * What the end-to-end delivery tests share: conversions and queue messages for
 * a pixel of the fake X, the real delivery queue and consumer, the pixel's
 * real `DeliveryLedger`, bounded polling, and the real app with the server key.
 */
import { createMessageBatch } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { inject, vi } from 'vitest';
import { ledgerOf } from '../../edge/delivery/ledger-stub.ts';
import type { DeliveryMessage, QueuedConversions } from '../../edge/delivery/message.ts';
import { type DeliveryOptions, deliverBatch } from '../../edge/delivery/queue-consumer.ts';
import type { Env } from '../../edge/env.ts';
import type { XConversion, XIdentifier } from '../../edge/x-api/conversion.ts';
import { sendConversions } from '../../edge/x-api/x-client.ts';
import { type FakeAccount, fakeXControl, type Received } from '../fake-x/control.ts';
import { createEdge, SERVER_KEY } from './hostile-harness.ts';

export const fakeX = fakeXControl(inject('fakeXUrl'));
export const HASH = 'a'.repeat(64);
export const TWCLID = { twclid: '26ofd9ed8tvlabf4n0z3uq0p6t' };

export function conversion(
  account: FakeAccount,
  event: string,
  id: string,
  identifiers: XIdentifier[] = [TWCLID],
): XConversion {
  return {
    conversion_time: new Date().toISOString(),
    event_id: account.events[event] ?? event,
    identifiers,
    conversion_id: id,
  };
}

export function message(
  pixelId: string,
  event: string,
  c: XConversion,
  source: DeliveryMessage['source'] = 'server',
): DeliveryMessage {
  return { pixelId, source, event, conversion: c, acceptedAt: Date.now() };
}

export async function enqueue(messages: DeliveryMessage[]): Promise<void> {
  const queue = env.DELIVERY_QUEUE;
  if (!queue) throw new Error('DELIVERY_QUEUE binding missing from wrangler.toml');
  await queue.sendBatch(
    messages.map((body) => ({ body: queued(body), contentType: 'json' as const })),
  );
}

/**
 * Runs the consumer directly on `messages`, sending to the fake X over HTTP;
 * `options.now` is the budget's clock.
 */
export async function consume(
  messages: DeliveryMessage[],
  bindings: Env = env,
  options: Omit<DeliveryOptions, 'send'> = {},
): Promise<void> {
  const batch = createMessageBatch<QueuedConversions>(
    'x-capi-deliveries',
    messages.map((body, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: 1,
      body: queued(body),
    })),
  );
  await deliverBatch(batch, bindings, { send: sendConversions, ...options });
}

export function ledger(pixelId: string) {
  const stub = ledgerOf(env, pixelId);
  if (!stub) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
  return stub;
}

/** Polls `probe` until `done` holds, at most `limitMs`; returns the last value. */
export async function poll<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  limitMs = 20_000,
) {
  const deadline = Date.now() + limitMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await probe();
  }
  return value;
}

export const received = (pixelId: string, done: (r: Received) => boolean, limitMs = 20_000) =>
  fakeX.receivedWhen(pixelId, done, limitMs);

export const ids = (r: Received) => r.conversions.map((c) => c.conversion_id);

/** The real app for this pixel; the ledger's redrive uses the real queue. */
export function edgeFor(pixelId: string, overrides: Partial<Env> = {}) {
  return createEdge({ X_PIXEL_ID: pixelId, DELIVERY_QUEUE: env.DELIVERY_QUEUE, ...overrides });
}

export const keyed = { authorization: `Bearer ${SERVER_KEY}` };

/** GET on an operator route, with the server key unless `withKey` is false. */
export function operatorGet(edge: ReturnType<typeof edgeFor>, path: string, withKey = true) {
  return edge.call({ method: 'GET', path, origin: null, ...(withKey ? { headers: keyed } : {}) });
}

/** POST of `json` to an operator route with the server key. */
export function operatorPost(edge: ReturnType<typeof edgeFor>, path: string, json: unknown) {
  return edge.call({ path, origin: null, contentType: 'application/json', headers: keyed, json });
}

export function quiet() {
  vi.spyOn(console, 'error').mockImplementation(() => {});
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'log').mockImplementation(() => {});
}

/** A pixel of its own at the fake X, the app configured for it, console quiet. */
export async function freshPixel() {
  quiet();
  const account = await fakeX.addAccount();
  return { account, pixel: account.pixelId, edge: edgeFor(account.pixelId) };
}

/** A queue body as ingest writes it, of one conversion (a server copy unless it says otherwise). */
export function queued(
  body: Omit<DeliveryMessage, 'source'> & { source?: DeliveryMessage['source'] },
): QueuedConversions {
  return { conversions: [{ source: 'server', ...body }] };
}
