/**
 * @module
 * Serves a `FakeX` over node:http on 127.0.0.1, so the edge in workerd (and
 * any other process) reaches it like the real X API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeX, type FakeXOptions } from './fake-x.ts';

export interface FakeXServer {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  fake: FakeX;
  close(): Promise<void>;
}

export interface StartFakeXOptions extends FakeXOptions {
  /** 0 (default) picks a free port: other test runs share the machine. */
  port?: number;
  host?: string;
}

/**
 * Starts the fake X API.
 *
 * @example
 * const { url, fake, close } = await startFakeX();
 * // point X_API_BASE_URL at url ...
 * await close();
 */
export async function startFakeX({
  port = 0,
  host = '127.0.0.1',
  ...options
}: StartFakeXOptions = {}): Promise<FakeXServer> {
  const fake = new FakeX(options);
  const server = createServer((req, res) => {
    serve(fake, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('fake X failed');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    fake,
    close: () =>
      new Promise<void>((resolve) => {
        fake.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serve(fake: FakeX, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  // A client that gives up (timeout) closes the socket: end any hang for it.
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const method = req.method ?? 'GET';
  const body =
    chunks.length > 0 && method !== 'GET' && method !== 'HEAD' ? Buffer.concat(chunks) : undefined;
  const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method,
    headers,
    body,
    signal: gone.signal,
  });
  const response = await fake.handle(request);
  if (gone.signal.aborted) return;
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name] = value;
  });
  res.writeHead(response.status, out);
  res.end(Buffer.from(await response.arrayBuffer()));
}
