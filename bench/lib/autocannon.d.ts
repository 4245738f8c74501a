/**
 * @module
 * Types for the part of autocannon 9's programmatic API the ingest benchmark
 * uses (the package ships none). Shapes follow its README, "API" and "Results".
 */
declare module 'autocannon' {
  /** hdr-histogram-percentiles-obj: the shape of `latency` and `requests`. */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  export interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Replace each `[<id>]` in the body with a fresh random id per request. */
    idReplacement?: boolean;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
  }

  export interface Result {
    requests: Histogram;
    latency: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  }

  /** A running load: a promise of its results that also emits per-request events. */
  export interface Instance extends Promise<Result> {
    stop(): void;
    /** One response: its status, size and latency in ms. */
    on(
      event: 'response',
      listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void,
    ): this;
  }

  /** Starts a run; the promise resolves with its results when it ends. */
  export default function autocannon(options: Options): Instance;
}
