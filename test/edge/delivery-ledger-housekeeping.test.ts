/**
 * The ledger prunes old rows an hour after it last did, however often batches
 * arrive: each batch reschedules the alarm, and must not push housekeeping out.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { DeliveryLedger } from '../../edge/delivery/delivery-ledger.ts';
import { emptyReport, entryFor, infoOf } from '../../edge/delivery/ledger-report.ts';
import { ledgerOf } from '../../edge/delivery/ledger-stub.ts';
import { HOUR_MS } from '../../edge/delivery/ledger-views.ts';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';

function alarmOf(stub: DurableObjectStub<DeliveryLedger>): Promise<number | null> {
  return runInDurableObject(stub, (_instance: DeliveryLedger, state) => state.storage.getAlarm());
}

describe('DeliveryLedger housekeeping', () => {
  it('keeps the hourly prune an hour after the last one while batches keep coming', async () => {
    const pixelId = `housekeeping-${Date.now()}`;
    const stub = ledgerOf(env, pixelId);
    if (!stub) throw new Error('DELIVERY_LEDGER binding missing from wrangler.toml');
    const body: DeliveryMessage = {
      pixelId,
      source: 'server',
      event: 'purchase',
      acceptedAt: Date.now(),
      conversion: {
        conversion_time: new Date().toISOString(),
        event_id: 'tw-o9d7n-o9d2g',
        identifiers: [{ twclid: '26ofd9ed8tvlabf4n0z3uq0p6t' }],
        conversion_id: 'order-1',
      },
    };
    // A counted conversion: something to prune later.
    const entry = entryFor(body);
    await stub.begin([entry], {});
    await stub.finish({
      ...emptyReport([infoOf(entry)]),
      sent: [{ key: entry.key, source: 'server' }],
    });
    // A new object prunes at once; run that alarm now rather than have it race the steps below.
    await runDurableObjectAlarm(stub);

    const prunedAt = Date.now();
    await stub.runDue(prunedAt);
    expect(await alarmOf(stub)).toBe(prunedAt + HOUR_MS);

    // Batches settled every 10 minutes leave the prune where it was.
    for (const minutes of [10, 20, 30, 40, 50]) {
      await stub.finish(emptyReport([]), prunedAt + minutes * 60_000);
      expect(await alarmOf(stub)).toBe(prunedAt + HOUR_MS);
    }
  });
});
