/**
 * @module
 * What the CLI's end-to-end tests run against: the fake X API over HTTP and the
 * real edge in local workerd (its queues and Durable Objects) delivering to it,
 * plus a temp dir for CSV files and reports.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeXControl, fakeXControl } from '../test/fake-x/control.ts';
import { type FakeXServer, startFakeX } from '../test/fake-x/server.ts';
import { edgeVarsFor } from '../test/rig/beacon.ts';
import { type LocalWorker, startLocalWorker } from '../test/rig/local-worker.ts';

export interface E2eRig {
  dir: string;
  fakeX: FakeXServer;
  control: FakeXControl;
  edge: LocalWorker;
  close(): Promise<void>;
}

/** Starts the fake X and the edge (retries without backoff) and makes a temp dir named from `prefix`. */
export async function startE2eRig(prefix: string): Promise<E2eRig> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const fakeX = await startFakeX();
  const edge = await startLocalWorker({
    config: 'wrangler.toml',
    vars: { ...edgeVarsFor(fakeX.url), RETRY_BASE_SECONDS: '0' },
  });
  return {
    dir,
    fakeX,
    control: fakeXControl(fakeX.url),
    edge,
    async close() {
      await edge.close();
      await fakeX.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
