/**
 * Sealing the client's IP address (and user agent) for the queue: no raw IP
 * in what is queued, the consumer gets it back exactly, and a sealed address
 * cannot be opened with another key or moved onto another conversion.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openAddress, sealAddress } from '../../edge/delivery/seal-address.ts';
import type { Env } from '../../edge/env.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import { configOf } from './hostile-harness.ts';

const IP = '203.0.113.77';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Test/1.0';
const config = configOf(env);
const built: XConversion = {
  conversion_time: '2026-11-28T10:00:00.000Z',
  event_id: 'o9d2g',
  identifiers: [{ twclid: '26ofd9ed8tvlabf4n0z3uq0p6t' }, { ip_address: IP, user_agent: UA }],
  conversion_id: 'order-42',
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('sealAddress / openAddress', () => {
  it('queues no raw IP or user agent, and the consumer gets them back exactly', async () => {
    const sealed = await sealAddress(config, built);
    const queued = JSON.stringify(sealed);
    expect(queued).not.toContain(IP);
    expect(queued).not.toContain('Mozilla');
    expect(sealed.conversion.identifiers).toEqual([{ twclid: '26ofd9ed8tvlabf4n0z3uq0p6t' }]);
    expect(await openAddress(config, sealed.conversion, sealed.sealedAddress)).toEqual(built);
  });

  it('uses a fresh IV each time', async () => {
    const a = await sealAddress(config, built);
    const b = await sealAddress(config, built);
    expect(a.sealedAddress).not.toEqual(b.sealedAddress);
  });

  it('leaves conversions without an address untouched', async () => {
    const plain = { ...built, identifiers: [{ hashed_email: 'a'.repeat(64) }] };
    expect(await sealAddress(config, plain)).toEqual({ conversion: plain });
  });

  it('opens to no address under another key or on another conversion', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const sealed = await sealAddress(config, built);
    const rotated: Env = { ...env, QUEUE_SEAL_KEY: 'a-new-key-after-rotation' };
    expect(await openAddress(configOf(rotated), sealed.conversion, sealed.sealedAddress)).toEqual(
      sealed.conversion,
    );
    const other = { ...sealed.conversion, conversion_id: 'order-43' };
    expect(await openAddress(config, other, sealed.sealedAddress)).toEqual(other);
  });

  it('drops the address when no secret exists (dry run sends nothing anyway)', async () => {
    const dryRun: Env = {
      ...env,
      X_CONSUMER_SECRET: undefined,
      X_ACCESS_TOKEN_SECRET: undefined,
      X_PIXEL_TOKEN: undefined,
      QUEUE_SEAL_KEY: undefined,
    };
    const sealed = await sealAddress(configOf(dryRun), built);
    expect(sealed.sealedAddress).toBeUndefined();
    expect(JSON.stringify(sealed)).not.toContain(IP);
  });
});
