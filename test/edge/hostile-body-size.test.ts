/**
 * Oversized bodies are refused while they arrive, not after: the edge must
 * stop pulling a body once it is past the route's cap, whatever
 * `Content-Length` says (a stream has none). Otherwise a client sending
 * megabytes makes the Worker buffer them all (128 MB memory per isolate) before
 * it says no.
 *
 * The body is a pull-based stream that counts what the edge actually read, so
 * the assertion is about bytes consumed, not about time.
 */
import { describe, expect, it } from 'vitest';
import { BROWSER_BODY_LIMIT_BYTES, SERVER_BODY_LIMIT_BYTES } from '../../edge/ingest/parse-body.ts';
import { ALLOWED_ORIGIN, createEdge, isXErrorBody, SERVER_KEY } from './hostile-harness.ts';

const CHUNK_BYTES = 4096;
/** What the edge may read past its cap: the chunk that crossed it, plus one read ahead. */
const SLACK_BYTES = 2 * CHUNK_BYTES;

/** A body of `totalBytes` spaces, produced only as the reader pulls; `pulled()` says how much was. */
function countingBody(totalBytes: number) {
  let produced = 0;
  const chunk = new TextEncoder().encode(' '.repeat(CHUNK_BYTES));
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (produced >= totalBytes) {
          controller.close();
          return;
        }
        produced += chunk.byteLength;
        controller.enqueue(chunk.slice());
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => produced };
}

const edge = createEdge();

async function post(path: string, headers: Record<string, string>, totalBytes: number) {
  const body = countingBody(totalBytes);
  const res = await edge.fetch(
    new Request(`https://edge.example${path}`, {
      method: 'POST',
      headers,
      body: body.stream,
    }),
  );
  const text = await res.text();
  return { status: res.status, text, pulled: body.pulled() };
}

const browserHeaders = { 'content-type': 'text/plain', origin: ALLOWED_ORIGIN };
const TEN_MB = 10 * 1024 * 1024;

describe('oversized bodies are cut off while streaming', () => {
  it('POST /events, browser call: 413 after about 16 KB of a 10 MB body', async () => {
    const r = await post('/events', browserHeaders, TEN_MB);
    expect(r.status, r.text).toBe(413);
    expect(isXErrorBody(JSON.parse(r.text))).toBe(true);
    expect(r.pulled).toBeLessThanOrEqual(BROWSER_BODY_LIMIT_BYTES + SLACK_BYTES);
  });

  it('POST /events, HTML form: 413 after about 16 KB', async () => {
    const r = await post(
      '/events',
      { ...browserHeaders, 'content-type': 'application/x-www-form-urlencoded' },
      TEN_MB,
    );
    expect(r.status, r.text).toBe(413);
    expect(r.pulled).toBeLessThanOrEqual(BROWSER_BODY_LIMIT_BYTES + SLACK_BYTES);
  });

  it('POST /events, server call: 413 after about 1 MB of a 10 MB body', async () => {
    const r = await post(
      '/events',
      { 'content-type': 'application/json', authorization: `Bearer ${SERVER_KEY}` },
      TEN_MB,
    );
    expect(r.status, r.text).toBe(413);
    expect(r.pulled).toBeLessThanOrEqual(SERVER_BODY_LIMIT_BYTES + SLACK_BYTES);
  });

  it('POST /events from a foreign origin: refused without reading the body at all', async () => {
    const r = await post('/events', { ...browserHeaders, origin: 'https://evil.example' }, TEN_MB);
    expect(r.status).toBe(403);
    expect(r.pulled).toBeLessThanOrEqual(SLACK_BYTES);
  });

  it('POST /events with an unsupported type: refused without reading the body', async () => {
    const r = await post(
      '/events',
      { ...browserHeaders, 'content-type': 'application/xml' },
      TEN_MB,
    );
    expect(r.status).toBe(415);
    expect(r.pulled).toBeLessThanOrEqual(SLACK_BYTES);
  });

  it('POST /click: 413 after about 1 KB of a 10 MB body', async () => {
    const r = await post('/click', browserHeaders, TEN_MB);
    expect(r.status, r.text).toBe(413);
    expect(isXErrorBody(JSON.parse(r.text))).toBe(true);
    expect(r.pulled).toBeLessThanOrEqual(1024 + SLACK_BYTES);
  });

  it('POST /click from a foreign origin: refused without reading the body', async () => {
    const r = await post('/click', { ...browserHeaders, origin: 'https://evil.example' }, TEN_MB);
    expect(r.status).toBe(403);
    expect(r.pulled).toBeLessThanOrEqual(SLACK_BYTES);
  });

  it('POST /click with a 10 MB body still answers 4xx in X shape (never 5xx)', async () => {
    const r = await post('/click', browserHeaders, TEN_MB);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(isXErrorBody(JSON.parse(r.text))).toBe(true);
  });
});
