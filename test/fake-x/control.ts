/**
 * @module
 * Typed client for the fake X API's control routes (`/__fake/...`). Uses only
 * the global `fetch`, so it works in Node tests and inside workerd tests.
 *
 * Files that run in parallel share one fake: give each test file its own pixel
 * with `addAccount()` and read only that pixel's traffic. `resetAll()` wipes
 * every file's state, so use it only in a process that owns the fake.
 *
 * @example
 * import { inject } from 'vitest';
 * import { fakeXControl } from '../fake-x/control.ts';
 *
 * const fakeX = fakeXControl(inject('fakeXUrl'));
 * const account = await fakeX.addAccount(); // fresh pixel id, TEST_ACCOUNT credentials
 * await fakeX.setFaults(account.pixelId, { next: [{ kind: 'status', status: 503, times: 2 }] });
 * // ... make the edge send to account.pixelId ...
 * const { requests, conversions } = await fakeX.received(account.pixelId);
 * expect(requests.map((r) => r.status)).toEqual([503, 503, 200]);
 * expect(conversions).toHaveLength(1);
 */
import type { FakeAccount, FaultPlan, NewAccount, RateLimit, Received } from './fake-x.ts';

export type {
  AuthKind,
  FakeAccount,
  FakeXErrorItem,
  Fault,
  FaultPlan,
  NewAccount,
  RateLimit,
  Received,
  ReceivedRequest,
} from './fake-x.ts';

export interface FakeXControl {
  /** Base URL of the fake, as given. */
  readonly baseUrl: string;
  /** Forgets everything (all pixels) and keeps only the default test account. */
  resetAll(): Promise<void>;
  /** Registers an account; omitted fields get a unique pixel/account id or TEST_ACCOUNT's values. */
  addAccount(account?: NewAccount): Promise<FakeAccount>;
  /** Forgets one pixel's received requests, faults and quota use. */
  resetPixel(pixelId: string): Promise<void>;
  /** Replaces the pixel's fault plan (`{}` clears it). */
  setFaults(pixelId: string, plan: FaultPlan): Promise<void>;
  /** Sets the account's quota (events per window) and starts a fresh window. */
  setRateLimit(pixelId: string, limit: RateLimit): Promise<void>;
  /** Every request to the pixel and every conversion it accepted. */
  received(pixelId: string): Promise<Received>;
  /**
   * Polls `received` until `done` holds or `limitMs` passes (delivery is
   * asynchronous); returns the last record either way.
   */
  receivedWhen(
    pixelId: string,
    done: (received: Received) => boolean,
    limitMs: number,
  ): Promise<Received>;
}

/**
 * Creates a control client for the fake X API at `baseUrl`.
 *
 * @example
 * const fakeX = fakeXControl('http://127.0.0.1:40123');
 * const { conversions } = await fakeX.received('o9d7n');
 */
export function fakeXControl(baseUrl: string): FakeXControl {
  const root = baseUrl.replace(/\/+$/, '');
  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${root}/__fake${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`fake X control ${method} ${path} answered ${response.status}: ${text}`);
    }
    return text === '' ? undefined : JSON.parse(text);
  }
  const pixel = (pixelId: string) => `/pixels/${encodeURIComponent(pixelId)}`;
  const received = async (pixelId: string) =>
    (await call('GET', `${pixel(pixelId)}/received`)) as Received;
  return {
    baseUrl: root,
    resetAll: async () => {
      await call('POST', '/reset');
    },
    addAccount: async (account = {}) => (await call('POST', '/accounts', account)) as FakeAccount,
    resetPixel: async (pixelId) => {
      await call('POST', `${pixel(pixelId)}/reset`);
    },
    setFaults: async (pixelId, plan) => {
      await call('PUT', `${pixel(pixelId)}/faults`, plan);
    },
    setRateLimit: async (pixelId, limit) => {
      await call('PUT', `${pixel(pixelId)}/rate-limit`, limit);
    },
    received,
    receivedWhen: async (pixelId, done, limitMs) => {
      const deadline = Date.now() + limitMs;
      let last = await received(pixelId);
      while (!done(last) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = await received(pixelId);
      }
      return last;
    },
  };
}
