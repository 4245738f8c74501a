/**
 * Sealing the client's IP address (and user agent) for the queue: no raw IP
 * in what is queued, the consumer gets it back exactly, each sealed address
 * names its key so a rotated key still opens what is already queued, and a
 * sealed address cannot be moved onto another pixel, event or conversion.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  openAddress,
  type SealKeys,
  sealAddress,
  sealKeyId,
} from '../../edge/delivery/seal-address.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import { configOf } from './hostile-harness.ts';

const IP = '203.0.113.77';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Test/1.0';
const PIXEL = TEST_ACCOUNT.pixelId;
const built: XConversion = {
  conversion_time: '2026-11-28T10:00:00.000Z',
  event_id: 'o9d2g',
  identifiers: [{ twclid: '26ofd9ed8tvlabf4n0z3uq0p6t' }, { ip_address: IP, user_agent: UA }],
  conversion_id: 'order-42',
};
const keys: SealKeys = configOf(env);
const OLD_KEY = 'old-queue-seal-key-0123456789abcdef';
const NEW_KEY = 'new-queue-seal-key-0123456789abcdef';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('sealAddress / openAddress', () => {
  it('queues no raw IP or user agent, and the consumer gets them back exactly', async () => {
    const sealed = await sealAddress(keys, PIXEL, built);
    const queued = JSON.stringify(sealed);
    expect(queued).not.toContain(IP);
    expect(queued).not.toContain('Mozilla');
    expect(sealed.conversion.identifiers).toEqual([{ twclid: '26ofd9ed8tvlabf4n0z3uq0p6t' }]);
    expect(await openAddress(keys, PIXEL, sealed.conversion, sealed.sealedAddress)).toEqual(built);
  });

  it('names the sealing key by an id that does not reveal it', async () => {
    const sealed = await sealAddress(keys, PIXEL, built);
    const id = await sealKeyId(TEST_ACCOUNT.queueSealKey);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(sealed.sealedAddress?.startsWith(`v2.${id}.`)).toBe(true);
    expect(sealed.sealedAddress).not.toContain(TEST_ACCOUNT.queueSealKey);
  });

  it('uses a fresh IV each time', async () => {
    const a = await sealAddress(keys, PIXEL, built);
    const b = await sealAddress(keys, PIXEL, built);
    expect(a.sealedAddress).not.toEqual(b.sealedAddress);
  });

  it('leaves conversions without an address untouched', async () => {
    const plain = { ...built, identifiers: [{ hashed_email: 'a'.repeat(64) }] };
    expect(await sealAddress(keys, PIXEL, plain)).toEqual({ conversion: plain });
  });

  it('opens messages queued before a rotation with QUEUE_SEAL_KEY_PREVIOUS', async () => {
    const before: SealKeys = { ...keys, sealKey: OLD_KEY };
    const inFlight = await Promise.all(
      ['order-1', 'order-2', 'order-3'].map((id) =>
        sealAddress(before, PIXEL, { ...built, conversion_id: id }),
      ),
    );
    const after: SealKeys = { ...keys, sealKey: NEW_KEY, sealKeyPrevious: OLD_KEY };
    const sealedAfter = await sealAddress(after, PIXEL, { ...built, conversion_id: 'order-4' });
    expect(sealedAfter.sealedAddress?.split('.')[1]).toBe(await sealKeyId(NEW_KEY));
    for (const message of [...inFlight, sealedAfter]) {
      const opened = await openAddress(after, PIXEL, message.conversion, message.sealedAddress);
      expect(opened.identifiers).toContainEqual({ ip_address: IP, user_agent: UA });
    }
  });

  it('drops the address once the key that sealed it is neither current nor previous', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const sealed = await sealAddress({ ...keys, sealKey: OLD_KEY }, PIXEL, built);
    const rotatedTwice: SealKeys = { ...keys, sealKey: NEW_KEY, sealKeyPrevious: undefined };
    expect(await openAddress(rotatedTwice, PIXEL, sealed.conversion, sealed.sealedAddress)).toEqual(
      sealed.conversion,
    );
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).not.toContain(IP);
  });

  it('binds pixel, event and conversion id: a sealed address opens on nothing else', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const sealed = await sealAddress(keys, PIXEL, built);
    const moved = [
      { pixel: 'otherpx', conversion: sealed.conversion },
      { pixel: PIXEL, conversion: { ...sealed.conversion, event_id: 'o9d2h' } },
      { pixel: PIXEL, conversion: { ...sealed.conversion, conversion_id: 'order-43' } },
    ];
    for (const { pixel, conversion } of moved) {
      expect(await openAddress(keys, pixel, conversion, sealed.sealedAddress)).toEqual(conversion);
    }
  });

  it('drops the address when there is no seal key (dry run sends nothing anyway)', async () => {
    const dryRun: SealKeys = { credentials: { kind: 'none' } };
    const sealed = await sealAddress(dryRun, PIXEL, built);
    expect(sealed.sealedAddress).toBeUndefined();
    expect(JSON.stringify(sealed)).not.toContain(IP);
  });
});
