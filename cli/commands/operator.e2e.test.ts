/**
 * The operator commands end to end: the real `cli/bin.mjs` against the edge
 * in local workerd, delivering to the fake X API switched into failure modes
 * (an event tag X does not know, conversions X rejects).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeXControl } from '../../test/fake-x/control.ts';
import { TEST_ACCOUNT } from '../../test/fake-x/test-account.ts';
import type { LocalWorker } from '../../test/rig/local-worker.ts';
import { runCliProcess } from '../cli-process.ts';
import { type E2eRig, startE2eRig } from '../e2e-rig.ts';

const PIXEL = TEST_ACCOUNT.pixelId;
const LIMIT_MS = 60_000;

let control: FakeXControl;
let edge: LocalWorker;
let dir: string;

let rig: E2eRig;

beforeAll(async () => {
  rig = await startE2eRig('xcapi-operator-e2e-');
  ({ dir, control, edge } = rig);
}, 60_000);

afterAll(() => rig?.close());

const cli = (...args: string[]) =>
  runCliProcess([...args, '--endpoint', edge.url.origin], {
    XCAPI_SERVER_KEY: TEST_ACCOUNT.serverKey,
  });

/** How long and how often `expect.poll` asks while delivery catches up. */
const POLL = { timeout: LIMIT_MS, interval: 1000 };

async function idsAtX(prefix: string): Promise<string[]> {
  const { conversions } = await control.received(PIXEL);
  return conversions.map((c) => c.conversion_id).filter((id) => id.startsWith(prefix));
}

describe('operator commands against the edge', () => {
  it("verify: X accepts two events and refuses the third, whose tag is not the account's", async () => {
    await control.setFaults(PIXEL, { unknownEventIds: [TEST_ACCOUNT.events.signup as string] });
    const run = await cli('verify');
    await control.setFaults(PIXEL, {});
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/purchase\s+200\s+accepted\s+conversions_processed 1, debug_id \S+/);
    expect(run.stdout).toMatch(/lead\s+200\s+accepted/);
    expect(run.stdout).toMatch(/signup\s+404\s+REFUSED\s+.*does not belong to provided account/);
    expect(run.stdout).toContain('1 of 3 events refused');
    const sent = await idsAtX('xcapi-verify-');
    expect(sent.filter((id) => id.startsWith('xcapi-verify-purchase-'))).toHaveLength(1);
  }, 60_000);

  it('upload, then dead-letters lists what X rejected, redrive delivers it once, status counts it', async () => {
    await control.setFaults(PIXEL, { rejectConversionIds: ['op-3', 'op-7'] });
    const file = join(dir, 'op.csv');
    let csv = 'event,order_id,email\n';
    for (let i = 1; i <= 10; i += 1) csv += `purchase,op-${i},buyer${i}@example.com\n`;
    await writeFile(file, csv);
    const upload = await cli('upload', file, '--rate', '0');
    expect(upload.code).toBe(0);

    let listed = '';
    await expect
      .poll(async () => {
        listed = (await cli('dead-letters', '--event', 'purchase', '--json')).stdout;
        return JSON.parse(listed).dead_letters.length;
      }, POLL)
      .toBeGreaterThanOrEqual(2);
    const page = JSON.parse(listed) as {
      dead_letters: { conversion_id: string; reason: string }[];
    };
    expect(page.dead_letters.map((d) => d.conversion_id).sort()).toEqual(['op-3', 'op-7']);
    const table = await cli('dead-letters');
    expect(table.stdout).toMatch(/op-3\s+purchase\s+\S+\s+400/);
    expect((await idsAtX('op-')).sort()).toHaveLength(8);

    await control.setFaults(PIXEL, {});
    const redrive = await cli('redrive', '--ids', 'op-3,op-7');
    expect(redrive.stdout).toBe('2 dead letters put back on the delivery queue\n');
    await expect.poll(async () => (await idsAtX('op-')).length, POLL).toBeGreaterThanOrEqual(10);
    const ids = await idsAtX('op-');
    expect(new Set(ids).size).toBe(10);
    expect(ids).toHaveLength(10);

    const status = await cli('status', '--json');
    expect(status.code).toBe(0);
    const answer = JSON.parse(status.stdout);
    expect(answer.windows['1h'].events.purchase.accepted).toBeGreaterThanOrEqual(10);
    const text = await cli('status');
    expect(text.stdout).toMatch(/^pixel o9d7n\ndelivery: (ok|degraded) since /);
    expect(text.stdout).toMatch(/last 1h\nevent\s+accepted\s+sent/);
  }, 120_000);
});
