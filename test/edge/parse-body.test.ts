/**
 * `readTextCapped` on both kinds of body: a byte stream (what workerd hands a
 * Worker for a request off the network, read into one buffer) and a plain
 * stream built in-process (read chunk by chunk). The cap holds on both,
 * whatever `Content-Length` says.
 */
import { describe, expect, it } from 'vitest';
import { XApiError } from '../../edge/errors.ts';
import { readTextCapped } from '../../edge/ingest/parse-body.ts';

const CHUNK_BYTES = 4096;

/** `totalBytes` of `a`, produced only as the reader pulls; `pulled()` says how many were. */
function countingBody(totalBytes: number, type?: 'bytes') {
  let produced = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      type,
      pull(controller: ReadableStreamDefaultController<Uint8Array>) {
        if (produced >= totalBytes) {
          controller.close();
          return;
        }
        const size = Math.min(CHUNK_BYTES, totalBytes - produced);
        produced += size;
        controller.enqueue(new TextEncoder().encode('a'.repeat(size)));
      },
    } as UnderlyingDefaultSource<Uint8Array>,
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => produced };
}

function post(body: ReadableStream<Uint8Array>, contentLength?: number): Request {
  const headers: Record<string, string> =
    contentLength === undefined ? {} : { 'content-length': String(contentLength) };
  return new Request('https://edge.example/events', { method: 'POST', body, headers });
}

async function statusOf(promise: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof XApiError) return error.status;
    throw error;
  }
}

describe.each([
  ['a byte stream', 'bytes' as const],
  ['a plain stream', undefined],
])('readTextCapped on %s', (_name, type) => {
  it('reads a body under the cap whole, across chunks', async () => {
    const { stream } = countingBody(10_000, type);
    expect(await readTextCapped(post(stream), 16 * 1024)).toBe('a'.repeat(10_000));
  });

  it('reads a body of exactly the cap', async () => {
    const { stream } = countingBody(16 * 1024, type);
    expect((await readTextCapped(post(stream), 16 * 1024)).length).toBe(16 * 1024);
  });

  it('answers 413 past the cap without Content-Length, and stops pulling near it', async () => {
    const body = countingBody(10 * 1024 * 1024, type);
    expect(await statusOf(readTextCapped(post(body.stream), 16 * 1024))).toBe(413);
    expect(body.pulled()).toBeLessThanOrEqual(16 * 1024 + 2 * CHUNK_BYTES);
  });

  it('reads a body longer than its Content-Length says, up to the cap', async () => {
    const { stream } = countingBody(9_000, type);
    expect(await readTextCapped(post(stream, 100), 16 * 1024)).toBe('a'.repeat(9_000));
  });

  it('answers 413 for a body past the cap that declared a small Content-Length', async () => {
    const body = countingBody(10 * 1024 * 1024, type);
    expect(await statusOf(readTextCapped(post(body.stream, 100), 16 * 1024))).toBe(413);
    expect(body.pulled()).toBeLessThanOrEqual(16 * 1024 + 2 * CHUNK_BYTES);
  });
});
