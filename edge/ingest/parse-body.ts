/**
 * @module
 * Reads a `POST /events` body, whatever sent it, with a size cap enforced while
 * reading (a missing or lying `Content-Length` does not get around it).
 *
 * - `text/plain` and `application/json`: JSON. Beacons send JSON as
 *   `text/plain` because any other type would need a CORS preflight, so the
 *   body is parsed from text, never through a JSON-only validator.
 * - `application/x-www-form-urlencoded`: an HTML form, as string fields.
 * - Anything else: 415.
 */
import { XApiError } from '../errors.ts';

/** A beacon is a handful of fields; 16 KB is generous and bounds abuse. */
export const BROWSER_BODY_LIMIT_BYTES = 16 * 1024;
/** 500 events (X's per-request maximum) of about 2 KB each. */
export const SERVER_BODY_LIMIT_BYTES = 1024 * 1024;

export type ParsedBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; fields: Map<string, string> };

function tooLarge(limit: number): XApiError {
  return new XApiError(413, {
    code: 'REQUEST_TOO_LARGE',
    message: `Request body is larger than ${limit} bytes`,
  });
}

/** Where the first read stops when the body declares no length: any beacon fits. */
const FIRST_READ_BYTES = 16 * 1024;

const decoder = new TextDecoder();

/** workerd's BYOB reader: `readAtLeast` resolves once `minBytes` have arrived or the body ended. */
type ByobReader = ReadableStreamBYOBReader & {
  readAtLeast(minBytes: number, view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>>;
};

/**
 * The body's bytes, at most `limit`: reads into one buffer sized from
 * `Content-Length` (workerd's `readAtLeast` fills it in one call, where a
 * chunk-by-chunk read costs a round trip and a copy per chunk), grown only
 * when the body turns out longer, and one byte past the cap means 413.
 */
async function readCappedBytes(
  reader: ByobReader,
  limit: number,
  declared: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const expected = Number.isFinite(declared) && declared >= 0 ? declared : FIRST_READ_BYTES;
  // One byte more than expected: a full buffer then means "longer than it said".
  let buffer: Uint8Array<ArrayBuffer> = new Uint8Array(Math.min(limit, expected) + 1);
  let size = 0;
  for (;;) {
    const wanted = buffer.byteLength - size;
    const { value } = await reader.readAtLeast(wanted, buffer.subarray(size));
    if (!value) break;
    buffer = new Uint8Array(value.buffer as ArrayBuffer);
    size += value.byteLength;
    // Fewer bytes than asked for only when the body has ended.
    if (value.byteLength < wanted) break;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    const grown = new Uint8Array(Math.min(limit + 1, buffer.byteLength * 2));
    grown.set(buffer);
    buffer = grown;
  }
  return buffer.subarray(0, size);
}

/** The same, chunk by chunk, for a body that is not a byte stream (one built in-process). */
async function readCappedChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function byobReader(body: ReadableStream<Uint8Array>): ByobReader | undefined {
  let reader: ByobReader;
  try {
    reader = body.getReader({ mode: 'byob' }) as ByobReader;
  } catch {
    return undefined;
  }
  // `readAtLeast` is workerd's; elsewhere (Node, in the benchmarks) read chunk by chunk.
  if (typeof reader.readAtLeast === 'function') return reader;
  reader.releaseLock();
  return undefined;
}

/**
 * The body's bytes as sent, or 413 in X's shape once more than `limit` bytes
 * have arrived: reading stops there, whatever `Content-Length` says. Signed
 * webhooks need these exact bytes: decoding first could change them.
 */
export async function readBytesCapped(
  request: Request,
  limit: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  const byob = byobReader(request.body);
  return byob
    ? await readCappedBytes(byob, limit, declared)
    : await readCappedChunks(request.body.getReader(), limit);
}

/** The same body decoded as UTF-8. */
export async function readTextCapped(request: Request, limit: number): Promise<string> {
  // Invalid UTF-8 becomes U+FFFD rather than an exception; validation then
  // judges the content.
  return decoder.decode(await readBytesCapped(request, limit));
}

/** The media type without parameters, lowercased: `text/plain;charset=UTF-8` -> `text/plain`. */
function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/**
 * Parses the request body by its `Content-Type`, reading at most `limitBytes`.
 * Throws `XApiError` 415 (unsupported type), 413 (too large) or 400 (bad JSON).
 */
export async function parseBody(request: Request, limitBytes: number): Promise<ParsedBody> {
  const type = mediaType(request.headers.get('content-type'));
  if (type === 'text/plain' || type === 'application/json') {
    const text = await readTextCapped(request, limitBytes);
    try {
      return { kind: 'json', value: JSON.parse(text) as unknown };
    } catch {
      throw new XApiError(400, {
        code: 'INVALID_REQUEST',
        message: 'Request body is not valid JSON',
      });
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const text = await readTextCapped(request, limitBytes);
    const fields = new Map<string, string>();
    for (const [name, value] of new URLSearchParams(text)) {
      // A repeated field keeps its first value: forms have no arrays here.
      if (!fields.has(name)) fields.set(name, value);
    }
    return { kind: 'form', fields };
  }
  throw new XApiError(415, {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message:
      'Content-Type must be text/plain or application/json (a JSON body) or application/x-www-form-urlencoded',
  });
}
