/**
 * The held path end to end inside workerd, against the fake X over HTTP: a
 * pixel X refuses, whose oldest held conversion X then rejects for its
 * content; a server copy and a browser copy of one order meeting while the
 * pixel is held; and a browser copy that finds the server copy still on its
 * way. The probe interval is simulated with the ledger's `runDue(now)`; the
 * queue, the consumer, the ledger's alarm and X's answers are real.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { PROBE_INTERVAL_MS } from '../../edge/delivery/delivery-ledger.ts';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import { sealAddress } from '../../edge/delivery/seal-address.ts';
import type { Received } from '../fake-x/control.ts';
import {
  consume,
  conversion,
  fakeX,
  freshPixel,
  HASH,
  ids,
  ledger,
  message,
  operatorGet,
  operatorPost,
  poll,
  received,
  TWCLID,
} from './delivery-rig.ts';
import { configOf } from './hostile-harness.ts';

/** How long after X accepts again every good held conversion must have reached it. */
const RECOVERY_TARGET_MS = 2 * 60_000;

describe('a probe X rejects for its content (400)', () => {
  it('leaves the held set and releases the pixel: every other held conversion reaches X once, within 2 minutes', async () => {
    const { account, pixel } = await freshPixel();
    await fakeX.setFaults(pixel, { revoked: true, rejectConversionIds: ['bad-0'] });
    // bad-0 is held first, so it is the oldest: the one every probe picks.
    await consume([message(pixel, 'purchase', conversion(account, 'purchase', 'bad-0'))]);
    expect((await ledger(pixel).health()).state).toBe('blocked');
    const good = Array.from({ length: 8 }, (_, i) => `good-${i}`);
    await consume(
      good.map((id) => message(pixel, 'purchase', conversion(account, 'purchase', id))),
    );
    const held = await ledger(pixel).status();
    expect(held.windows['1h'].events.purchase?.waiting).toEqual({ pixel_refused: 9 });

    // The credentials work again; bad-0 is still invalid. The last refusal was just
    // now, so the next probe is a whole interval away: the worst case.
    await fakeX.setFaults(pixel, { rejectConversionIds: ['bad-0'] });
    const acceptedAt = Date.now();
    const allGood = (r: Received) => good.every((id) => ids(r).includes(id));
    let clock = acceptedAt;
    let recoveredAfter: number | undefined;
    while (recoveredAfter === undefined && clock - acceptedAt < RECOVERY_TARGET_MS) {
      clock += PROBE_INTERVAL_MS;
      const probedAt = Date.now();
      await ledger(pixel).runDue(clock);
      if (allGood(await received(pixel, allGood, 10_000))) {
        // Simulated wait for the probe, plus the real time the queue and consumer took.
        recoveredAfter = clock - acceptedAt + (Date.now() - probedAt);
      }
    }
    expect(recoveredAfter, 'every good held conversion delivered').toBeDefined();
    expect(recoveredAfter, `recovered ${recoveredAfter} ms after X accepted`).toBeLessThanOrEqual(
      RECOVERY_TARGET_MS,
    );

    const after = await fakeX.received(pixel);
    expect(ids(after).sort()).toEqual([...good].sort());
    expect(after.requests.filter((r) => r.status === 400)).toHaveLength(1);
    expect((await ledger(pixel).health()).state).toBe('ok');
    const { dead_letters } = await ledger(pixel).deadLetters({ limit: 10 });
    expect(dead_letters.map((l) => [l.conversion_id, l.reason, l.status])).toEqual([
      ['bad-0', 'rejected', 400],
    ]);
    const status = await ledger(pixel).status();
    expect(status.windows['1h'].events.purchase).toMatchObject({
      accepted: 9,
      sent: 8,
      dead_lettered: 1,
      waiting: {},
    });
    // Nothing is left to probe: later alarms send nothing more.
    await ledger(pixel).runDue(clock + PROBE_INTERVAL_MS);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await fakeX.received(pixel)).requests).toHaveLength(after.requests.length);
  }, 90_000);
});

describe('server copies win on the held path too', () => {
  it('a server copy replaces a held browser copy; a browser copy never replaces a held server copy', async () => {
    const { account, pixel } = await freshPixel();
    await fakeX.setFaults(pixel, { revoked: true });
    const browser = (id: string): DeliveryMessage => ({
      ...message(pixel, 'purchase', {
        ...conversion(account, 'purchase', id, [{ twclid: 'forged-click' }]),
        value: '0.01',
      }),
      source: 'browser',
    });
    const server = (id: string): DeliveryMessage => ({
      ...message(pixel, 'purchase', {
        ...conversion(account, 'purchase', id, [{ hashed_email: HASH }]),
        value: '120.00',
      }),
      source: 'server',
    });
    // sw-1: the (forged) browser copy is held first; sw-2: the server copy is.
    await consume([browser('sw-1')]);
    expect((await ledger(pixel).health()).state).toBe('blocked');
    await consume([server('sw-1')]);
    await consume([server('sw-2')]);
    await consume([browser('sw-2')]);

    await fakeX.setFaults(pixel, {});
    await ledger(pixel).runDue(Date.now() + PROBE_INTERVAL_MS);
    const after = await received(pixel, (r) => r.conversions.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const { conversions } = await fakeX.received(pixel);
    expect(conversions.map((c) => c.conversion_id).sort()).toEqual(['sw-1', 'sw-2']);
    expect(ids(after).sort()).toEqual(['sw-1', 'sw-2']);
    for (const c of conversions) {
      expect(c.value).toBe('120.00');
      expect(c.identifiers).toEqual([{ hashed_email: HASH }]);
    }
  }, 60_000);
});

describe('a browser copy finding the server copy on its way', () => {
  it("leaves the server copy's state and counts alone: sent only on X's 2xx, never both sent and dead", async () => {
    const { account, pixel } = await freshPixel();
    const copy = (id: string, source: DeliveryMessage['source']): DeliveryMessage => ({
      ...message(pixel, 'purchase', conversion(account, 'purchase', id, [{ hashed_email: HASH }])),
      source,
    });
    // X's 429 pauses the pixel's budget for 60 s: the server copy of dup-1 waits for it.
    await fakeX.setFaults(pixel, {
      next: [{ kind: 'status', status: 429, resetAfterSeconds: 60 }],
      rejectConversionIds: ['dup-1'],
    });
    await consume([copy('first', 'server')]);
    await consume([copy('dup-1', 'server')]);
    expect(await ledger(pixel).conversion('dup-1')).toMatchObject({
      state: 'waiting',
      waiting_reason: 'rate_limited',
    });

    // The browser copy is acked unsent (the server copy wins) and changes nothing.
    await consume([copy('dup-1', 'browser')]);
    expect((await fakeX.received(pixel)).conversions).toEqual([]);
    expect(await ledger(pixel).conversion('dup-1')).toMatchObject({
      state: 'waiting',
      waiting_reason: 'rate_limited',
      sent_at: null,
    });
    const waiting = await ledger(pixel).status();
    expect(waiting.windows['1h'].events.purchase).toMatchObject({ accepted: 2, sent: 0 });

    // The budget is back; X rejects the server copy: dead, and never counted sent.
    await consume([copy('dup-1', 'server')], env, { now: () => Date.now() + 61_000 });
    expect((await ledger(pixel).conversion('dup-1'))?.state).toBe('dead_lettered');
    const status = await ledger(pixel).status();
    expect(status.windows['1h'].events.purchase).toMatchObject({
      accepted: 2,
      sent: 0,
      dead_lettered: 1,
    });
    expect(status.hourly.at(-1)).toMatchObject({ accepted: 2, sent: 0, dead_lettered: 1 });
  }, 60_000);
});

describe('a kept payload whose seal key is gone', () => {
  it('says so on the dead letter before a redrive, on the conversion after, and in the log, without the address', async () => {
    const { account, pixel, edge } = await freshPixel();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const address = { ip_address: '192.0.2.44', user_agent: 'Mozilla/5.0 (Rotated)' };
    /** A message sealed with `sealKey` (the current one unless given). */
    const sealed = async (id: string, sealKey?: string): Promise<DeliveryMessage> => {
      const keys = { ...configOf(env), ...(sealKey ? { sealKey } : {}) };
      const c = await sealAddress(
        keys,
        pixel,
        conversion(account, 'purchase', id, [TWCLID, address]),
      );
      return {
        ...message(pixel, 'purchase', c.conversion),
        ...(c.sealedAddress ? { sealedAddress: c.sealedAddress } : {}),
      };
    };
    // old-1 was sealed with a key rotated out twice since; new-1 with today's key.
    const old = await sealed('old-1', 'a-seal-key-rotated-out-0123456789abcdef');
    await fakeX.setFaults(pixel, { rejectConversionIds: ['old-1', 'new-1'] });
    await consume([old, await sealed('new-1')]);

    const list = await operatorGet(edge, '/dead-letters');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(address.ip_address);
    const letters = (list.json as { dead_letters: { conversion_id: string; warnings?: unknown }[] })
      .dead_letters;
    const warning = {
      code: 'SEAL_KEY_GONE',
      parameter: 'ip_address',
      message: expect.stringContaining('QUEUE_SEAL_KEY_PREVIOUS'),
    };
    expect(letters.find((l) => l.conversion_id === 'old-1')?.warnings).toEqual([warning]);
    expect(letters.find((l) => l.conversion_id === 'new-1')).not.toHaveProperty('warnings');

    // Redriven: old-1 reaches X without the address, and its status says why.
    await fakeX.setFaults(pixel, {});
    const redrive = await operatorPost(edge, '/dead-letters/redrive', {
      conversion_ids: ['old-1', 'new-1'],
    });
    expect(redrive.json).toMatchObject({ redriven: 2 });
    const after = await received(pixel, (r) => r.conversions.length >= 2);
    const sent = (id: string) => after.conversions.find((c) => c.conversion_id === id);
    expect(sent('old-1')?.identifiers).toEqual([TWCLID]);
    expect(sent('new-1')?.identifiers).toEqual([TWCLID, address]);
    const status = await poll(
      () => operatorGet(edge, '/status/conversions/old-1'),
      (r) => (r.json as { state?: string }).state === 'sent',
    );
    expect(status.json).toMatchObject({ state: 'sent', warnings: [warning] });
    // Dead, redriven, then taken by X: counted sent, no longer dead.
    await poll(
      () => ledger(pixel).conversion('new-1'),
      (c) => c?.state === 'sent',
    );
    const counts = await ledger(pixel).status();
    expect(counts.windows['1h'].events.purchase).toMatchObject({
      accepted: 2,
      sent: 2,
      dead_lettered: 0,
    });
    expect((await operatorGet(edge, '/status/conversions/new-1')).json).not.toHaveProperty(
      'warnings',
    );
    // The consumer's log line names the conversion and the warning, never the address.
    const logged = warn.mock.calls.map((call) => call.map(String).join(' '));
    expect(logged.some((line) => line.includes('SEAL_KEY_GONE') && line.includes('old-1'))).toBe(
      true,
    );
    expect(logged.join('\n')).not.toContain(address.ip_address);
  }, 60_000);
});
