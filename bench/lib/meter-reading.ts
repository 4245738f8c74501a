/**
 * @module
 * What the metered edge (bench/cost-worker.ts) answers on `GET /__meter`:
 * the Cloudflare-billed units it counted. Apart from the Worker so that the
 * benchmark in Node reads the shape without loading `cloudflare:workers`.
 */

export const METER_PATH = '/__meter';

/** Rows one SQL statement read and wrote, over all its runs. */
export interface StatementCount {
  /** The Durable Object class that ran it. */
  store: string;
  /** The statement, whitespace collapsed. */
  statement: string;
  runs: number;
  rowsRead: number;
  rowsWritten: number;
}

/** What `GET /__meter` answers. */
export interface MeterReading {
  workerRequests: { fetch: number; queue: number };
  queueOperations: { written: number; read: number; deleted: number };
  /** Messages, whatever their size. */
  queueMessages: { written: number; read: number; deleted: number; retried: number };
  /** Durable Object requests by `Class.method`. */
  durableObjectRequests: Record<string, number>;
  statements: StatementCount[];
  /** `setAlarm` calls, each billed as a row written. */
  alarmsSet: number;
}
