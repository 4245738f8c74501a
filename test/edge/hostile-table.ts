/**
 * @module
 * The table behind the hostile-input tests of `POST /events` (one file per
 * group of fields): each row is an input and the answer it must get: status,
 * X error code, the parameter blamed, and a message fragment where the wording
 * matters. Every row also checks the cross-cutting rules: never a 5xx, every
 * answer in X's error shape (or the 202/303 shape), and nothing queued for X
 * unless the row expects it (and then exactly what it expects).
 *
 * Runs the real app in workerd with the test project's configuration
 * (pixel o9d7n, events purchase/lead/signup, ALLOWED_ORIGINS
 * https://shop.example); the delivery queue is a recorder (./hostile-harness.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../edge/delivery/message.ts';
import {
  type CallSpec,
  createEdge,
  isAcceptedBody,
  isXErrorBody,
  VALID_EVENT,
} from './hostile-harness.ts';

export interface Row {
  name: string;
  spec: CallSpec;
  status: number;
  /** Code of the first error. */
  code?: string;
  /** Some error blames this parameter. */
  parameter?: string;
  /** Fragment of some error's message. */
  message?: string;
  /** 202 rows: how many conversions must be queued (default: the `accepted` count, at least 1). */
  queued?: number;
  /** Extra checks on what was queued. */
  check?: (queued: DeliveryMessage[]) => void;
  /** The answer lists exactly this many errors. */
  errorCount?: number;
  /** 202 rows: the answer warns that this parameter was dropped (message fragment in `message`). */
  dropped?: string;
}

export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;
export const TWCLID = '26al4tn7x9n5o40h6sd2ds3kbt';
export const browser = (json: unknown, extra: CallSpec = {}): CallSpec => ({ json, ...extra });
export const server = (json: unknown, extra: CallSpec = {}): CallSpec => ({
  json,
  server: true,
  origin: null,
  ...extra,
});
/** The valid event with one field replaced (or removed with `undefined`). */
export const withField = (field: string, value: unknown): Record<string, unknown> => {
  const event: Record<string, unknown> = { ...VALID_EVENT };
  if (value === undefined) delete event[field];
  else event[field] = value;
  return event;
};
export const bad = (
  name: string,
  field: string,
  value: unknown,
  message?: string,
  parameter = field,
): Row => ({
  name,
  spec: browser(withField(field, value)),
  status: 400,
  code: 'INVALID_PARAMETER',
  parameter,
  ...(message ? { message } : {}),
});
/** An unusable optional identifier beside the valid event's email: dropped, said in a warning. */
export const dropped = (name: string, field: string, value: unknown, message?: string): Row => ({
  name,
  spec: browser(withField(field, value)),
  status: 202,
  dropped: field,
  ...(message ? { message } : {}),
});
export const iso = (ms: number) => new Date(ms).toISOString();
export const serverEvent = (extra: Record<string, unknown>) => ({
  event: 'purchase',
  hashed_email: 'a'.repeat(64),
  ...extra,
});
export const nested = (depth: number, leaf = '0') =>
  `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
/** A stream of `bytes` bytes of JSON-ish text, with no Content-Length. */
export const streamOf = (bytes: number) => () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      const chunk = new TextEncoder().encode(' '.repeat(1024));
      for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
        controller.enqueue(chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent)));
      }
      controller.close();
    },
  });
export const eventIdOf = (m: DeliveryMessage | undefined) => m?.conversion.event_id;
export const hasTwclid = (m: DeliveryMessage | undefined) =>
  m?.conversion.identifiers.some((i) => 'twclid' in i) ?? false;

/**
 * Runs each row against the real app as its own test, after checking the rows'
 * names are unique, and that nothing polluted Object.prototype along the way.
 */
export function runHostileTable(title: string, rows: readonly Row[]): void {
  describe(title, () => {
    const edge = createEdge();
    let polluted = false;

    afterAll(() => {
      // Prototype pollution would show up on every object in the isolate.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(polluted).toBe(false);
    });

    it('has rows with unique names', () => {
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    });

    for (const row of rows) {
      it(`${row.status} <- ${row.name}`, async () => {
        const queuedBefore = edge.recorder.messages.length;
        const res = await edge.call(row.spec);
        const queued = edge.recorder.messages.slice(queuedBefore);
        polluted ||= ({} as Record<string, unknown>).polluted !== undefined;

        expect(res.status, res.text).toBeLessThan(500);
        expect(res.status, res.text).toBe(row.status);

        if (row.status >= 400) {
          expect(res.headers.get('content-type')).toMatch(/^application\/json/);
          expect(isXErrorBody(res.json), res.text).toBe(true);
          const errors = (
            res.json as { errors: { code: string; message: string; parameter?: string }[] }
          ).errors;
          if (row.code) expect(errors[0]?.code).toBe(row.code);
          if (row.parameter !== undefined) {
            expect(errors.map((e) => e.parameter)).toContain(row.parameter);
          }
          if (row.message) {
            expect(errors.map((e) => e.message).join(' | ')).toContain(row.message);
          }
          if (row.errorCount !== undefined) expect(errors, res.text).toHaveLength(row.errorCount);
          expect(queued).toEqual([]);
        } else if (row.status === 202) {
          expect(isAcceptedBody(res.json), res.text).toBe(true);
          const body = res.json as { accepted: number; conversion_ids: string[]; gpc?: boolean };
          const expected = row.queued ?? Math.max(body.accepted, 1);
          expect(queued).toHaveLength(expected);
          expect(body.accepted).toBe(expected);
          expect(queued.map((m) => m.conversion.conversion_id)).toEqual(body.conversion_ids);
          if (expected === 0) expect(body.gpc).toBe(true);
          const { warnings } = res.json as {
            warnings?: { code: string; parameter: string; message: string }[];
          };
          if (row.dropped === undefined) {
            expect(warnings, res.text).toBeUndefined();
          } else {
            expect(
              warnings?.map((w) => w.parameter),
              res.text,
            ).toContain(row.dropped);
            if (row.message) {
              expect(warnings?.map((w) => w.message).join(' | ')).toContain(row.message);
            }
          }
        } else if (row.status === 303) {
          expect(res.headers.get('location')).toMatch(/^https:\/\/(shop|edge)\.example\//);
          expect(queued).toHaveLength(row.queued ?? 1);
        }
        row.check?.(queued);
      });
    }
  });
}
