/**
 * @module
 * `window.xcapi(...)` from the adapters: the real function once the main script has
 * run, else the page's queue stub, set up here when the page has none yet, so the
 * main script replays the call in order whenever it loads.
 */
import type { XcapiCommand, XcapiFunction } from './types.ts';

const win = globalThis as typeof globalThis & { xcapi?: XcapiFunction };

/** Calls `window.xcapi`, through the queue stub until the main script runs. */
export function callXcapi(...command: XcapiCommand): void {
  win.xcapi ||= function xcapi() {
    stub.q ||= [];
    // biome-ignore lint/complexity/noArguments: the stub queues `arguments`, as the page's own
    stub.q.push(arguments);
  };
  const stub = win.xcapi;
  stub(...command);
}
