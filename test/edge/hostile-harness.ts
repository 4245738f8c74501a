/**
 * @module
 * Shared by the hostile-input and privacy tests: the real app (`createApp`)
 * run inside workerd with the test project's bindings, except that the
 * delivery queue is a recorder. The recorder is a plain object with the
 * `Queue` methods ingest calls; it keeps every message so a test can assert
 * exactly what would have been queued for X (nothing, for bad input), without
 * waiting for a queue consumer or sharing the fake X with other test files.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createApp } from '../../edge/app.ts';
import { type EdgeConfig, parseConfig, settingsOf } from '../../edge/config.ts';
import type { DeliveryMessage, QueuedConversions } from '../../edge/delivery/message.ts';
import type { Env } from '../../edge/env.ts';
import type { XErrorBody } from '../../edge/errors.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';

/** The site the test project allows (`ALLOWED_ORIGINS` in vitest.config.ts). */
export const ALLOWED_ORIGIN = 'https://shop.example';
export const SERVER_KEY = TEST_ACCOUNT.serverKey;
export const EDGE_URL = 'https://edge.example/events';

/** A queue that records what it is sent instead of storing it. */
export interface QueueRecorder {
  readonly queue: Queue<QueuedConversions>;
  /** Every conversion sent, in order, out of the queue bodies that carried it. */
  readonly messages: DeliveryMessage[];
  /** Every conversion with the delay its queue message was sent with. */
  readonly sent: { body: DeliveryMessage; delaySeconds?: number }[];
  /** Queue messages per `sendBatch` call. */
  readonly batches: number[];
  /** Conversions per queue message. */
  readonly sizes: number[];
}

export interface RecorderOptions {
  /** Every send fails, as an overloaded or unavailable queue does. */
  refuse?: boolean;
}

/** A fresh recorder of the delivery queue; each body is copied through JSON, as the real queue does. */
export function recordingQueue(options: RecorderOptions = {}): QueueRecorder {
  const messages: DeliveryMessage[] = [];
  const sent: { body: DeliveryMessage; delaySeconds?: number }[] = [];
  const batches: number[] = [];
  const sizes: number[] = [];
  const metrics = { backlogCount: 0, backlogBytes: 0 };
  const record = (body: QueuedConversions, delaySeconds: number | undefined) => {
    const copy = JSON.parse(JSON.stringify(body)) as QueuedConversions;
    sizes.push(copy.conversions.length);
    for (const conversion of copy.conversions) {
      messages.push(conversion);
      sent.push(
        delaySeconds === undefined ? { body: conversion } : { body: conversion, delaySeconds },
      );
    }
  };
  const refuse = () => {
    if (options.refuse) throw new Error('Queue is overloaded');
  };
  const queue: Queue<QueuedConversions> = {
    metrics: async () => metrics,
    send: async (body, sendOptions) => {
      refuse();
      record(body, sendOptions?.delaySeconds);
      return { metadata: { metrics } };
    },
    sendBatch: async (batch) => {
      refuse();
      const list = [...batch];
      batches.push(list.length);
      for (const message of list) record(message.body, message.delaySeconds);
      return { metadata: { metrics } };
    },
  };
  return { queue, messages, sent, batches, sizes };
}

/** The configuration `env` gives, valid or not (broken fields read as their defaults). */
export function configOf(bindings: Env): EdgeConfig {
  const result = parseConfig(bindings);
  return settingsOf(result);
}

/** What a test wants to send: everything optional, defaults make a valid browser beacon. */
export interface CallSpec {
  method?: string;
  /** Path and query after the edge's origin; default `/events`. */
  path?: string;
  /** Raw body; `json` is stringified when this is absent. A function makes a fresh stream. */
  body?: string | Uint8Array<ArrayBuffer> | (() => ReadableStream<Uint8Array>);
  json?: unknown;
  /** Default `text/plain` (a beacon); `null` sends no Content-Type at all. */
  contentType?: string | null;
  /** Default the allowed origin; `null` sends no Origin header. */
  origin?: string | null;
  /** `Bearer SERVER_KEY` when `server` is true, or this exact header when a string. */
  authorization?: string;
  server?: boolean;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export function buildRequest(spec: CallSpec): Request {
  const headers = new Headers(spec.headers);
  if (spec.contentType !== null && !headers.has('content-type')) {
    headers.set('content-type', spec.contentType ?? 'text/plain;charset=UTF-8');
  }
  if (spec.origin !== null && !headers.has('origin')) {
    headers.set('origin', spec.origin ?? ALLOWED_ORIGIN);
  }
  if (spec.server) headers.set('authorization', `Bearer ${SERVER_KEY}`);
  if (spec.authorization !== undefined) headers.set('authorization', spec.authorization);
  const method = spec.method ?? 'POST';
  const url = spec.path === undefined ? EDGE_URL : new URL(spec.path, EDGE_URL).href;
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  let body = typeof spec.body === 'function' ? spec.body() : spec.body;
  if (body === undefined && spec.json !== undefined) body = JSON.stringify(spec.json);
  // A string body would make the Request add `text/plain` by itself.
  if (spec.contentType === null && typeof body === 'string') body = new TextEncoder().encode(body);
  return new Request(url, { method, headers, body });
}

/** The real app with the test bindings and a recording delivery queue. */
export interface Edge {
  readonly recorder: QueueRecorder;
  readonly env: Env;
  call(spec: CallSpec): Promise<CallResult>;
  fetch(request: Request): Promise<Response>;
}

/**
 * Builds the app once per test file. `overrides` replace bindings (e.g. no
 * `SERVER_KEY`); the delivery queue is the recorder unless overridden.
 *
 * @example
 * const edge = createEdge();
 * const res = await edge.call({ json: { event: 'purchase', email: 'a@b.example' } });
 */
export function createEdge(overrides: Partial<Env> = {}): Edge {
  const recorder = recordingQueue();
  // One env object for the whole file: the app caches parsed config per env object.
  const bindings: Env = {
    ...env,
    ...overrides,
    DELIVERY_QUEUE: overrides.DELIVERY_QUEUE ?? recorder.queue,
  };
  const app = createApp('');
  async function fetchEdge(request: Request): Promise<Response> {
    const ctx = createExecutionContext();
    const response = await app.fetch(request, bindings, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }
  return {
    recorder,
    env: bindings,
    fetch: fetchEdge,
    async call(spec) {
      const response = await fetchEdge(buildRequest(spec));
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
  };
}

/** Whether `value` is exactly X's error shape: `{"errors":[{code, message, parameter?}, ...]}`. */
export function isXErrorBody(value: unknown): value is XErrorBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'errors') return false;
  const errors = (value as { errors: unknown }).errors;
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (e: unknown) =>
        typeof e === 'object' &&
        e !== null &&
        typeof (e as { code?: unknown }).code === 'string' &&
        /^[A-Z_]+$/.test((e as { code: string }).code) &&
        typeof (e as { message?: unknown }).message === 'string' &&
        ((e as { parameter?: unknown }).parameter === undefined ||
          typeof (e as { parameter?: unknown }).parameter === 'string') &&
        Object.keys(e).every((k) => k === 'code' || k === 'message' || k === 'parameter'),
    )
  );
}

/** Whether `value` is the 202 answer: `{"accepted": n, "conversion_ids": [...]}` (plus GPC's note). */
export function isAcceptedBody(
  value: unknown,
): value is { accepted: number; conversion_ids: string[] } {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as { accepted?: unknown; conversion_ids?: unknown };
  return (
    typeof body.accepted === 'number' &&
    Array.isArray(body.conversion_ids) &&
    body.conversion_ids.length === body.accepted &&
    body.conversion_ids.every((id) => typeof id === 'string')
  );
}

/**
 * Captures everything written to the console while `run` executes, as text
 * (objects JSON-stringified), and restores the console afterwards.
 */
export async function captureConsole<T>(
  run: () => Promise<T>,
): Promise<{ result: T; logs: string[] }> {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const originals = methods.map((m) => console[m]);
  const logs: string[] = [];
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      logs.push(args.map((a) => (typeof a === 'string' ? a : safeStringify(a))).join(' '));
    };
  }
  try {
    const result = await run();
    return { result, logs };
  } finally {
    methods.forEach((m, i) => {
      console[m] = originals[i] as (typeof console)[typeof m];
    });
  }
}

function safeStringify(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message} ${value.stack ?? ''}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A valid browser event; tests spread changes over it. */
export const VALID_EVENT = {
  event: 'purchase',
  email: 'shopper@example.com',
  value: 20,
  currency: 'USD',
  conversion_id: 'order-1001',
} as const;
