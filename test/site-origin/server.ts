/**
 * @module
 * A small shop origin over node:http on 127.0.0.1, the site that edge capture
 * sits in front of in tests: HTML pages (with and without the script tag), a
 * landing page that redirects and drops the query, an image, a form endpoint
 * echoing its body, a gzip-encoded page and a failing page. Answers are fixed
 * bytes so a test can compare what came through the edge with the origin's own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface SiteOrigin {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  close(): Promise<void>;
}

/** A page in the shop, with `head` as the content of its `<head>`. */
export function originPage(title: string, head = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}</head><body><h1>${title}</h1><p>Mugs, caf\u00e9 cups.</p></body></html>`;
}

/** Bytes of every value, so any re-encoding through the edge would show. */
export const IMAGE_BYTES: Uint8Array = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 256);

/** The script tag a page may already carry, with its own settings. */
export const OWN_TAG = '<script async src="/xcapi.js" data-consent="pending"></script>';

const HTML = 'text/html; charset=utf-8';

function send(res: ServerResponse, status: number, headers: Record<string, string>, body = '') {
  res.writeHead(status, headers);
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Pages held open half-sent, by id, until `/stream-release?id=` finishes them. */
const heldPages = new Map<string, () => void>();

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://origin');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (method === 'POST' && path === '/form') {
    // The body back as it came, as HTML: a POST answer must not be touched either.
    const body = await readBody(req);
    res.writeHead(200, { 'Content-Type': HTML, 'X-Origin-Method': method });
    res.end(body);
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') return send(res, 405, { Allow: 'GET, HEAD' });
  switch (path) {
    case '/':
    case '/products/mug':
      return send(res, 200, { 'Content-Type': HTML, ETag: '"page-v1"' }, originPage('Mug'));
    case '/promo':
      // A landing page that redirects and drops the query, as many do.
      return send(res, 302, { Location: '/products/mug', 'Set-Cookie': 'session=s1; Path=/' });
    case '/has-script':
      return send(res, 200, { 'Content-Type': HTML }, originPage('Own tag', OWN_TAG));
    case '/no-head':
      return send(
        res,
        200,
        { 'Content-Type': HTML },
        '<!doctype html><body><p>No head tag</p></body>',
      );
    case '/gzip': {
      const body = gzipSync(Buffer.from(originPage('Compressed')));
      res.writeHead(200, {
        'Content-Type': HTML,
        'Content-Encoding': 'gzip',
        'Content-Length': String(body.length),
      });
      res.end(body);
      return;
    }
    case '/stream': {
      // The head and a first paragraph now, the rest only once the test says so: a
      // proxy that buffered the page would deliver nothing until then.
      res.writeHead(200, { 'Content-Type': HTML });
      res.write('<!doctype html><html><head><title>Stream</title></head><body><p>first</p>');
      await new Promise<void>((release) =>
        heldPages.set(url.searchParams.get('id') ?? '', release),
      );
      res.end('<p>second</p></body></html>');
      return;
    }
    case '/stream-release': {
      const id = url.searchParams.get('id') ?? '';
      heldPages.get(id)?.();
      heldPages.delete(id);
      return send(res, 204, {});
    }
    case '/logo.png':
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': '4096' });
      res.end(Buffer.from(IMAGE_BYTES));
      return;
    case '/fail':
      return send(res, 500, { 'Content-Type': HTML }, originPage('Something broke'));
    default:
      return send(res, 404, { 'Content-Type': 'text/plain' }, 'no such page');
  }
}

/**
 * Starts the origin on a free port.
 *
 * @example
 * const origin = await startSiteOrigin();
 * // ORIGIN_URL = origin.url
 * await origin.close();
 */
export async function startSiteOrigin(): Promise<SiteOrigin> {
  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('origin failed');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
