/**
 * What operator routes may cost the pixel's Durable Objects: a redrive puts
 * back a bounded page per call and says how many remain, and reading the
 * status (ledger and budget) writes nothing. Runs on the real SQLite-backed
 * objects; the big redrive goes to a recording queue, not to X.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../edge/delivery/delivery-ledger.ts';
import { MAX_REDRIVE_PER_CALL } from '../../edge/delivery/ledger-views.ts';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import { withStorage } from './budget-under-test.ts';
import {
  conversion,
  freshPixel,
  ledger,
  message,
  operatorGet,
  operatorPost,
} from './delivery-rig.ts';
import { recordingQueue } from './hostile-harness.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

function letter(pixelId: string, id: string): DeliveryMessage {
  return {
    pixelId,
    source: 'server',
    event: 'purchase',
    conversion: {
      conversion_time: '2026-11-28T10:00:00.000Z',
      event_id: 'o9d2g',
      identifiers: [{ twclid: 'abc' }],
      conversion_id: id,
    },
    acceptedAt: T0,
  };
}

/** Rows in every table of a Durable Object's SQLite, by table. */
function rowCounts(sql: SqlStorage): Record<string, number> {
  const tables = sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'",
    )
    .toArray();
  return Object.fromEntries(
    tables.map(({ name }) => [
      name,
      sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`).one().n,
    ]),
  );
}

describe('POST /dead-letters/redrive', () => {
  it(`puts back at most ${MAX_REDRIVE_PER_CALL} per call, oldest first, and says how many remain`, async () => {
    const namespace = env.DELIVERY_LEDGER;
    if (!namespace) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
    const pixelId = `rd${Date.now().toString(36)}`;
    const recorder = recordingQueue();
    const answers = await runInDurableObject(
      namespace.get(namespace.idFromName(pixelId)),
      async (_instance: DeliveryLedger, state) => {
        const own = new DeliveryLedger(state, { ...env, DELIVERY_QUEUE: recorder.queue });
        const total = MAX_REDRIVE_PER_CALL + 1;
        for (let i = 0; i < total; i++) {
          const body = letter(pixelId, `dl-${String(i).padStart(4, '0')}`);
          own.keepDeadLetter(
            {
              key: `${body.conversion.conversion_id}:purchase`,
              event: 'purchase',
              reason: 'expired',
              status: null,
              message: 'retries used up',
              body,
            },
            T0 + i,
          );
        }
        return [await own.redrive({}), await own.redrive({}), await own.redrive({})];
      },
    );
    expect(answers).toEqual([
      { redriven: MAX_REDRIVE_PER_CALL, remaining: 1 },
      { redriven: 1, remaining: 0 },
      { redriven: 0, remaining: 0 },
    ]);
    expect(recorder.messages).toHaveLength(MAX_REDRIVE_PER_CALL + 1);
    expect(recorder.messages[0]?.conversion.conversion_id).toBe('dl-0000');
    expect(recorder.messages.at(-1)?.conversion.conversion_id).toBe('dl-1000');
  }, 60_000);

  it('takes a smaller limit, and refuses one out of range in X shape', async () => {
    const { account, pixel, edge } = await freshPixel();
    const stub = ledger(pixel);
    for (const id of ['p-1', 'p-2', 'p-3']) {
      const body = message(pixel, 'purchase', conversion(account, 'purchase', id));
      await stub.keepDeadLetter({
        key: `${id}:purchase`,
        event: 'purchase',
        reason: 'expired',
        status: null,
        message: 'retries used up',
        body,
      });
    }
    const page = await operatorPost(edge, '/dead-letters/redrive', { limit: 2 });
    expect(page.status).toBe(200);
    expect(page.json).toEqual({ redriven: 2, remaining: 1 });
    for (const limit of [0, 1001, 1.5, 'all']) {
      const bad = await operatorPost(edge, '/dead-letters/redrive', { limit });
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({
        errors: [{ code: 'INVALID_PARAMETER', parameter: 'limit' }],
      });
    }
    expect((await operatorPost(edge, '/dead-letters/redrive', {})).json).toEqual({
      redriven: 1,
      remaining: 0,
    });
  });
});

describe('reading the status writes nothing', () => {
  it("the budget's usage skips grants older than the window without deleting them", async () => {
    await withStorage((open, sql) => {
      const budget = open({ X_RATE_LIMIT_EVENTS: '10', X_RATE_LIMIT_WINDOW_SECONDS: '60' });
      budget.reserve(['a', 'b'], T0);
      budget.reserve(['c'], T0 + 30_000);
      const before = rowCounts(sql);
      expect(budget.usage(T0 + 45_000)).toEqual({
        limit: 10,
        used: 3,
        windowSeconds: 60,
        resetsAt: T0 + 60_000,
      });
      // The first grant has left the window and every lease has run out: still not deleted.
      expect(budget.usage(T0 + 61_000 + 5 * 60_000)).toMatchObject({ used: 0, resetsAt: null });
      expect(budget.usage(T0 + 61_000)).toMatchObject({ used: 1, resetsAt: T0 + 90_000 });
      expect(rowCounts(sql)).toEqual(before);
    });
  });

  it('GET /status, /status/conversions/:id, /dead-letters and /health leave the ledger as it was', async () => {
    const { account, pixel, edge } = await freshPixel();
    await ledger(pixel).keepDeadLetter({
      key: 'old-1:purchase',
      event: 'purchase',
      reason: 'expired',
      status: null,
      message: 'retries used up',
      body: message(pixel, 'purchase', conversion(account, 'purchase', 'old-1')),
    });
    const namespace = env.DELIVERY_LEDGER;
    if (!namespace) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
    const counts = () =>
      runInDurableObject(namespace.get(namespace.idFromName(pixel)), (_i, state) =>
        rowCounts(state.storage.sql),
      );
    const before = await counts();
    for (const path of ['/status', '/status/conversions/old-1', '/dead-letters', '/health']) {
      expect((await operatorGet(edge, path)).status).toBe(200);
    }
    expect(await counts()).toEqual(before);
  });
});
