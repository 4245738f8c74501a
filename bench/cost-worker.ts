/**
 * @module
 * The edge as the cost benchmark runs it (bench/cost.ts): the same handlers
 * and Durable Object classes (edge/index.ts), each wrapped so that what
 * Cloudflare bills is counted where it happens. Only this entry point counts;
 * the deployed Worker (edge/index.ts) carries none of it.
 *
 * - Worker requests: every `fetch` and every queue consumer invocation.
 * - Queue operations: each message written (`send`/`sendBatch`, by ingest, the
 *   consumer's re-enqueues and the ledger), read (delivered to the consumer)
 *   and deleted (acked, explicitly or by the batch ending well), in 64 KB
 *   units: a KB is 1,000 bytes and Cloudflare adds about 100 bytes of
 *   metadata to each message; bodies are JSON (`contentType: 'json'`).
 * - Durable Object requests: every method called on a stub (one RPC session
 *   each), and every alarm.
 * - SQLite rows: the `rowsRead` / `rowsWritten` of every cursor `sql.exec`
 *   returns, per statement, summed when the meter is read (a cursor's counts
 *   grow as it is read); `setAlarm` counts as one row written.
 *
 * `GET /__meter` answers the counts so far; `?reset=1` also starts afresh.
 * In local workerd the Worker and its Durable Objects share one isolate, so
 * one module-level meter sees them all.
 */

import type { Env } from '../edge/env.ts';
import edge, { DeliveryLedger as EdgeLedger } from '../edge/index.ts';
import { METER_PATH, type MeterReading, type StatementCount } from './lib/meter-reading.ts';

interface PendingStatement {
  count: StatementCount;
  cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[];
}

function freshMeter() {
  return {
    workerRequests: { fetch: 0, queue: 0 },
    queueOperations: { written: 0, read: 0, deleted: 0 },
    queueMessages: { written: 0, read: 0, deleted: 0, retried: 0 },
    durableObjectRequests: {} as Record<string, number>,
    statements: new Map<string, PendingStatement>(),
    alarmsSet: 0,
  };
}

let meter = freshMeter();

/** Cloudflare's operations for one message: per 64 KB (1 KB = 1,000 bytes), about 100 bytes of metadata included. */
function operationsFor(body: unknown): number {
  const bytes = new TextEncoder().encode(JSON.stringify(body) ?? '').length + 100;
  return Math.max(1, Math.ceil(bytes / 64_000));
}

function countRequest(name: string): void {
  meter.durableObjectRequests[name] = (meter.durableObjectRequests[name] ?? 0) + 1;
}

/** Wraps `target` so that reading `name` gets `replacement`, and methods stay bound to `target`. */
function overriding<T extends object>(target: T, replace: (prop: string) => unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      if (typeof prop === 'string') {
        const replaced = replace(prop);
        if (replaced !== undefined) return replaced;
      }
      const value = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

function meteredStub<T extends object>(stub: T, className: string): T {
  return new Proxy(stub, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        countRequest(`${className}.${prop}`);
        return Reflect.apply(value, t, args);
      };
    },
  });
}

/** A namespace whose stubs count their calls (typed loosely: stubs' RPC types are too deep to map). */
function meteredNamespace<T extends object>(ns: T, className: string): T {
  return overriding(ns, (prop) => {
    if (prop !== 'get' && prop !== 'getByName') return undefined;
    const make = Reflect.get(ns, prop) as (...args: unknown[]) => object;
    return (...args: unknown[]) => meteredStub(make.apply(ns, args), className);
  });
}

function meteredQueue<T extends Queue>(queue: T): T {
  return overriding(queue, (prop) => {
    if (prop === 'send') {
      return (body: unknown, options?: QueueSendOptions) => {
        meter.queueMessages.written += 1;
        meter.queueOperations.written += operationsFor(body);
        return queue.send(body, options);
      };
    }
    if (prop === 'sendBatch') {
      return (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
        const list = [...messages];
        for (const message of list) {
          meter.queueMessages.written += 1;
          meter.queueOperations.written += operationsFor(message.body);
        }
        return queue.sendBatch(list, options);
      };
    }
    return undefined;
  });
}

const meteredEnvs = new WeakMap<Env, Env>();

/** The bindings with their queue and Durable Object namespaces counted (one copy per env). */
function metered(env: Env): Env {
  let copy = meteredEnvs.get(env);
  if (!copy) {
    copy = { ...env };
    if (env.DELIVERY_QUEUE) copy.DELIVERY_QUEUE = meteredQueue(env.DELIVERY_QUEUE);
    if (env.DELIVERY_LEDGER) {
      copy.DELIVERY_LEDGER = meteredNamespace(env.DELIVERY_LEDGER, 'DeliveryLedger');
    }
    meteredEnvs.set(env, copy);
  }
  return copy;
}

function meteredSql(sql: SqlStorage, store: string): SqlStorage {
  return overriding(sql, (prop) =>
    prop === 'exec'
      ? (query: string, ...bindings: unknown[]) => {
          const cursor = sql.exec(query, ...bindings);
          const statement = query.replace(/\s+/g, ' ').trim();
          const key = `${store}\n${statement}`;
          let pending = meter.statements.get(key);
          if (!pending) {
            pending = {
              count: { store, statement, runs: 0, rowsRead: 0, rowsWritten: 0 },
              cursors: [],
            };
            meter.statements.set(key, pending);
          }
          pending.count.runs += 1;
          pending.cursors.push(cursor);
          return cursor;
        }
      : undefined,
  );
}

/**
 * Counts the object's SQL and alarm calls. workerd accepts only its own
 * `DurableObjectState` in the base constructor, so the storage object gets
 * own properties that shadow `sql` and `setAlarm` instead of a wrapper.
 */
function meterStorage(ctx: DurableObjectState, store: string): void {
  const storage = ctx.storage;
  const sql = meteredSql(storage.sql, store);
  const setAlarm = storage.setAlarm.bind(storage);
  Object.defineProperty(storage, 'sql', { value: sql });
  Object.defineProperty(storage, 'setAlarm', {
    value: (...args: Parameters<DurableObjectStorage['setAlarm']>) => {
      meter.alarmsSet += 1;
      return setAlarm(...args);
    },
  });
}

/** The counts so far, every cursor's rows folded in. */
function reading(): MeterReading {
  const statements: StatementCount[] = [];
  for (const pending of meter.statements.values()) {
    for (const cursor of pending.cursors) {
      pending.count.rowsRead += cursor.rowsRead;
      pending.count.rowsWritten += cursor.rowsWritten;
    }
    pending.cursors = [];
    statements.push({ ...pending.count });
  }
  return {
    workerRequests: { ...meter.workerRequests },
    queueOperations: { ...meter.queueOperations },
    queueMessages: { ...meter.queueMessages },
    durableObjectRequests: { ...meter.durableObjectRequests },
    statements,
    alarmsSet: meter.alarmsSet,
  };
}

export class DeliveryLedger extends EdgeLedger {
  constructor(ctx: DurableObjectState, env: Env) {
    meterStorage(ctx, 'DeliveryLedger');
    super(ctx, metered(env));
  }

  override async alarm(): Promise<void> {
    countRequest('DeliveryLedger.alarm');
    await super.alarm();
  }
}

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === METER_PATH) {
      const answer = reading();
      if (url.searchParams.get('reset') === '1') meter = freshMeter();
      return Response.json(answer);
    }
    meter.workerRequests.fetch += 1;
    return edge.fetch(request, metered(env), ctx);
  },
  async queue(batch, env) {
    meter.workerRequests.queue += 1;
    const retried = new Set<string>();
    let retriedAll = false;
    const messages = batch.messages.map((msg) => {
      meter.queueMessages.read += 1;
      meter.queueOperations.read += operationsFor(msg.body);
      return overriding(msg, (prop) =>
        prop === 'retry'
          ? (options?: QueueRetryOptions) => {
              retried.add(msg.id);
              msg.retry(options);
            }
          : undefined,
      );
    });
    const counted = overriding(batch, (prop) => {
      if (prop === 'messages') return messages;
      if (prop === 'retryAll') {
        return (options?: QueueRetryOptions) => {
          retriedAll = true;
          batch.retryAll(options);
        };
      }
      return undefined;
    });
    try {
      await edge.queue(counted, metered(env));
    } catch (error) {
      retriedAll = true;
      throw error;
    } finally {
      for (const msg of batch.messages) {
        if (retriedAll || retried.has(msg.id)) {
          meter.queueMessages.retried += 1;
        } else {
          meter.queueMessages.deleted += 1;
          meter.queueOperations.deleted += operationsFor(msg.body);
        }
      }
    }
  },
} satisfies ExportedHandler<Env>;
