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

/**
 * The body as text, or 413 in X's shape once more than `limit` bytes have
 * arrived: reading stops there, whatever `Content-Length` says.
 */
export async function readTextCapped(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!request.body) return '';
  const reader = request.body.getReader();
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
  // Invalid UTF-8 becomes U+FFFD rather than an exception; validation then
  // judges the content.
  return new TextDecoder().decode(bytes);
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
