/**
 * The fake over real HTTP: `startFakeX` plus the control client, as other
 * processes (the edge in workerd, browser tests, benchmarks) use them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeXControl } from './control.ts';
import { type FakeXServer, startFakeX } from './server.ts';
import { TEST_ACCOUNT } from './test-account.ts';

describe('startFakeX + fakeXControl', () => {
  let server: FakeXServer;

  beforeAll(async () => {
    server = await startFakeX();
  });
  afterAll(async () => {
    await server.close();
  });

  function send(pixelId: string, signal?: AbortSignal): Promise<Response> {
    return fetch(`${server.url}/12/measurement/conversions/${pixelId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pixel-token': TEST_ACCOUNT.pixelToken },
      body: JSON.stringify({
        conversions: [
          {
            conversion_time: new Date().toISOString(),
            event_id: 'o9d2g',
            identifiers: [{ twclid: 'abc' }],
            conversion_id: 'c1',
          },
        ],
      }),
      signal,
    });
  }

  it('listens on a free 127.0.0.1 port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('registers accounts, injects faults and reports what arrived', async () => {
    const control = fakeXControl(server.url);
    const account = await control.addAccount({ events: { purchase: 'o9d2g' } });
    expect(account.pixelId).toMatch(/^[a-z0-9]{10}$/);
    expect(account.consumerKey).toBe(TEST_ACCOUNT.consumerKey);

    await control.setFaults(account.pixelId, { next: [{ kind: 'status', status: 503 }] });
    expect((await send(account.pixelId)).status).toBe(503);
    expect((await send(account.pixelId)).status).toBe(200);

    const received = await control.received(account.pixelId);
    expect(received.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(received.conversions.map((c) => c.identifiers)).toEqual([[{ twclid: 'abc' }]]);

    await control.setRateLimit(account.pixelId, { events: 0, windowSeconds: 60 });
    expect((await send(account.pixelId)).status).toBe(429);

    await control.resetPixel(account.pixelId);
    expect(await control.received(account.pixelId)).toEqual({ requests: [], conversions: [] });
  });

  it('rejects bad control input with 400', async () => {
    const control = fakeXControl(server.url);
    await expect(control.addAccount({ pixelId: 'no spaces!' })).rejects.toThrow(/400/);
    await expect(
      control.setFaults(TEST_ACCOUNT.pixelId, { next: [{ kind: 'status', status: 1 }] }),
    ).rejects.toThrow(/400/);
  });

  it('hangs until the client gives up, then records the hang', async () => {
    const control = fakeXControl(server.url);
    const { pixelId } = await control.addAccount();
    await control.setFaults(pixelId, { next: [{ kind: 'hang' }] });
    await expect(send(pixelId, AbortSignal.timeout(200))).rejects.toThrow();
    await expect
      .poll(async () => (await control.received(pixelId)).requests.map((r) => r.fault))
      .toEqual(['hang']);
    expect((await send(pixelId)).status).toBe(200);
  });
});
