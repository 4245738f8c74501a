/**
 * The operator commands through `runCli`, against a stand-in edge over real
 * HTTP that answers with the edge's documented shapes and checks the key.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliEnv } from '../args.ts';
import type { PixelStatus, RedriveSelector } from '../edge-api.ts';
import { runCli } from '../main.ts';
import { redriveAll } from './redrive.ts';
import { renderStatus } from './status.ts';

const KEY = 'stand-in-server-key-0123456789abcdef';

interface Seen {
  method: string;
  path: string;
  body: unknown;
}
const seen: Seen[] = [];

const STATUS: PixelStatus = {
  pixel_id: 'o9d7n',
  delivery: { state: 'degraded', since: '2026-11-29T05:00:00.000Z', reason: 'X answers 503' },
  windows: {
    '1h': {
      events: {
        purchase: {
          accepted: 1200,
          sent: 1100,
          waiting: { retry: 90, paused: 0 },
          dead_lettered: 10,
          skipped: { consent_denied: 3 },
          sources: { browser: 1000, shopify: 200 },
          coverage: { twclid: 0.5, email: 0.875, phone: 0.25, ip_user_agent: 1 },
        },
      },
    },
    '24h': { events: {} },
  },
  budget: { limit: 60000, used: 1234, window_seconds: 900, resets_at: '2026-11-29T05:15:00.000Z' },
  last_error: {
    at: '2026-11-29T05:01:00.000Z',
    status: 503,
    code: 'SERVICE_UNAVAILABLE',
    message: 'Over capacity',
  },
  hourly: [],
};

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

function answer(status: number, body: unknown) {
  return { status, body };
}

/** Redrive calls with a filter so far: odd ones answer the first page, even ones the last. */
let redrivePages = 0;

async function route(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
  const url = new URL(req.url ?? '/', 'http://edge');
  const body = await bodyOf(req);
  seen.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, body });
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    if (url.pathname === '/health') return answer(200, { ok: true, delivery: STATUS.delivery });
    return answer(401, {
      errors: [{ code: 'UNAUTHORIZED', message: 'Missing or invalid server key' }],
    });
  }
  switch (`${req.method} ${url.pathname}`) {
    case 'GET /health':
      return answer(200, {
        ok: true,
        delivery: STATUS.delivery,
        pixel_id: 'o9d7n',
        events: { purchase: 'o9d2g', lead: 'o9d2h' },
      });
    case 'GET /broken/health':
      return answer(503, {
        ok: false,
        problems: ['X_EVENTS is not valid JSON: expected e.g. {"purchase":"o9d2g"}'],
      });
    case 'GET /status':
      // An edge serving two pixels lists both, unless ?pixel= names one.
      if (url.searchParams.get('pixel') === 'all2') {
        return answer(200, {
          pixels: [STATUS, { ...STATUS, pixel_id: 'p2k4m' }],
        });
      }
      return answer(200, STATUS);
    case 'GET /dead-letters':
      return answer(200, {
        dead_letters: [
          {
            conversion_id: 'o-17',
            event: url.searchParams.get('event') ?? 'purchase',
            reason: 'rejected',
            message: 'INVALID_PARAMETER: bad value',
            status: 400,
            accepted_at: '2026-11-28T10:00:00.000Z',
            dead_at: '2026-11-28T10:00:05.000Z',
          },
        ],
        next_cursor: url.searchParams.has('cursor') ? null : 'c2',
      });
    case 'POST /dead-letters/redrive': {
      if ('conversion_ids' in (body as object)) return answer(200, { redriven: 2, remaining: 0 });
      // 14 match: the edge pages them, 10 now and 4 on the next call.
      redrivePages += 1;
      return answer(
        200,
        redrivePages % 2 === 1 ? { redriven: 10, remaining: 4 } : { redriven: 4, remaining: 0 },
      );
    }
    case 'POST /events/verify': {
      const { event, conversion_id } = body as { event: string; conversion_id: string };
      if (event === 'lead') {
        return answer(200, {
          x_status: 404,
          x_body: {
            errors: [
              {
                code: 'NOT_FOUND',
                message: 'event_id o9d2h does not belong to provided account',
                parameter: 'event_id',
              },
            ],
          },
          conversion_id,
        });
      }
      return answer(200, {
        x_status: 200,
        x_body: {
          request: { params: {} },
          data: { conversions_processed: 1, debug_id: 'dbg-123' },
        },
        conversion_id,
      });
    }
    default:
      return answer(404, {
        errors: [{ code: 'ROUTE_NOT_FOUND', message: 'The requested resource could not be found' }],
      });
  }
}

let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    route(req).then(({ status, body }) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function run(argv: string[], env: CliEnv = { XCAPI_SERVER_KEY: KEY }) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe('status', () => {
  it('prints the state, budget, last error and a table per window', async () => {
    const { code, stdout } = await run(['status', '--endpoint', endpoint]);
    expect(code).toBe(0);
    expect(stdout).toContain('delivery: degraded since 2026-11-29T05:00:00.000Z (X answers 503)');
    expect(stdout).toContain(
      'rate budget: 1,234 of 60,000 events per 900 s, resets at 2026-11-29T05:15:00.000Z',
    );
    expect(stdout).toContain(
      'last error from X: 2026-11-29T05:01:00.000Z HTTP 503 SERVICE_UNAVAILABLE: Over capacity',
    );
    expect(stdout).toMatch(
      /event\s+accepted\s+sent\s+waiting\s+dead-lettered\s+skipped\s+twclid\s+email\s+phone\s+ip\+ua/,
    );
    expect(stdout).toMatch(
      /purchase\s+1,200\s+1,100\s+90 \(retry 90\)\s+10\s+3 \(consent_denied 3\)\s+50%\s+88%\s+25%\s+100%/,
    );
    expect(stdout).toContain('last 24h\n(no conversions)');
  });

  it('prints one set of tables per pixel of an edge with several, and sends --pixel as ?pixel=', async () => {
    const { code, stdout } = await run(['status', '--endpoint', endpoint, '--pixel', 'all2']);
    expect(code).toBe(0);
    expect(seen.at(-1)?.path).toBe('/status?pixel=all2');
    expect(stdout).toContain(`pixel ${STATUS.pixel_id}\n`);
    expect(stdout).toContain('pixel p2k4m\n');
    expect(stdout.indexOf(`pixel ${STATUS.pixel_id}`)).toBeLessThan(stdout.indexOf('pixel p2k4m'));
    expect(stdout.match(/last 1h/g)).toHaveLength(2);
    const refused = await run(['status', '--endpoint', endpoint, '--pixel', 'no such']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--pixel must be a pixel id');
  });

  it('leaves out the HTTP status when X gave none (timeout, unreachable) and says when no budget is tracked', () => {
    const text = renderStatus({
      ...STATUS,
      last_error: {
        at: '2026-11-29T05:02:00.000Z',
        status: null,
        code: 'UNAVAILABLE',
        message: 'no answer within 30 s',
      },
    });
    expect(text).toContain(
      'last error from X: 2026-11-29T05:02:00.000Z UNAVAILABLE: no answer within 30 s\n',
    );
    expect(text).not.toContain('HTTP');
  });

  it('prints the raw answer with --json', async () => {
    const { code, stdout } = await run(['status', '--endpoint', endpoint, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(STATUS);
  });

  it('exits 2 with a clear line on a refused key, a missing key or endpoint, an unreachable edge', async () => {
    const refused = await run(['status', '--endpoint', endpoint], { XCAPI_SERVER_KEY: 'wrong' });
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe(
      "x-capi-edge: the edge refused the server key (401): XCAPI_SERVER_KEY must equal the edge's SERVER_KEY (UNAUTHORIZED: Missing or invalid server key)\n",
    );
    expect((await run(['status', '--endpoint', endpoint], {})).stderr).toMatch(
      /no server key: set XCAPI_SERVER_KEY/,
    );
    expect((await run(['status'])).stderr).toMatch(/no endpoint: pass --endpoint URL/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await run(['status', '--endpoint', `http://127.0.0.1:${port}`]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toBe(
      `x-capi-edge: cannot reach the edge at http://127.0.0.1:${port} (ECONNREFUSED)\n`,
    );
  });

  it('says when the edge has no such route (an older edge, or a wrong BASE_PATH)', async () => {
    const { code, stderr } = await run(['status', '--endpoint', `${endpoint}/wrong-base`]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /GET \/status: the edge has no such route \(404\); check --endpoint \(include BASE_PATH\)/,
    );
  });
});

describe('dead-letters', () => {
  it('sends the filters and page size, prints a table and the next cursor', async () => {
    const { code, stdout } = await run([
      'dead-letters',
      '--endpoint',
      endpoint,
      '--event',
      'lead',
      '--reason',
      'rejected',
      '--limit',
      '10',
    ]);
    expect(code).toBe(0);
    expect(seen.at(-1)?.path).toBe('/dead-letters?limit=10&event=lead&reason=rejected');
    expect(stdout).toMatch(
      /o-17\s+lead\s+rejected\s+400\s+2026-11-28T10:00:05.000Z\s+INVALID_PARAMETER: bad value/,
    );
    expect(stdout).toContain('more: add --cursor c2');
    const last = await run(['dead-letters', '--endpoint', endpoint, '--cursor', 'c2', '--json']);
    expect(seen.at(-1)?.path).toBe('/dead-letters?limit=50&cursor=c2');
    expect(JSON.parse(last.stdout).next_cursor).toBeNull();
  });
});

describe('redrive', () => {
  it('sends ids, event/reason or {} for --all, and prints the count', async () => {
    expect((await run(['redrive', '--endpoint', endpoint, '--ids', 'o-1, o-2'])).stdout).toBe(
      '2 dead letters put back on the delivery queue\n',
    );
    expect(seen.at(-1)?.body).toEqual({ conversion_ids: ['o-1', 'o-2'] });
    await run(['redrive', '--endpoint', endpoint, '--event', 'purchase', '--reason', 'expired']);
    expect(seen.at(-1)?.body).toEqual({ event: 'purchase', reason: 'expired' });
    const before = seen.length;
    const all = await run(['redrive', '--endpoint', endpoint, '--all', '--json']);
    expect(seen.at(-1)?.body).toEqual({});
    expect(JSON.parse(all.stdout)).toEqual({ redriven: 14 });
    // The edge answers a page at a time; the command asks again until none remain.
    expect(seen.slice(before).map((r) => r.path)).toEqual([
      '/dead-letters/redrive',
      '/dead-letters/redrive',
    ]);
  });

  it('stops after what matched at first, even if X rejects redriven ones again meanwhile', async () => {
    const calls: RedriveSelector[] = [];
    // Every page comes back as new dead letters: `remaining` never falls.
    const edge = {
      redrive: async (selector: RedriveSelector) => {
        calls.push(selector);
        return { redriven: 3, remaining: 5 };
      },
    };
    expect(await redriveAll(edge, {})).toEqual({ redriven: 9, remaining: 5 });
    expect(calls).toHaveLength(3);
    // An edge that answers without `remaining` is asked once.
    expect(await redriveAll({ redrive: async () => ({ redriven: 7 }) }, {})).toEqual({
      redriven: 7,
      remaining: 0,
    });
  });

  it('needs exactly one selector, and sends nothing otherwise', async () => {
    const before = seen.length;
    for (const argv of [
      [],
      ['--all', '--ids', 'a'],
      ['--event', 'lead', '--all'],
      ['--ids', ' , '],
    ]) {
      const { code, stderr } = await run(['redrive', '--endpoint', endpoint, ...argv]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^x-capi-edge: redrive: /);
    }
    expect(seen.length).toBe(before);
  });
});

describe('verify', () => {
  it('sends one test conversion per configured event and exits 1 when X refuses one', async () => {
    const { code, stdout } = await run(['verify', '--endpoint', endpoint]);
    const sent = seen.filter((s) => s.path === '/events/verify').slice(-2);
    expect(sent.map((s) => (s.body as { event: string }).event)).toEqual(['purchase', 'lead']);
    for (const { body } of sent) {
      expect(body).toMatchObject({
        twclid: 'xcapi_verify_test',
        conversion_id: expect.stringMatching(/^xcapi-verify-(purchase|lead)-\d{8}T\d{9}Z$/),
      });
    }
    expect(stdout).toMatch(/purchase\s+200\s+accepted\s+conversions_processed 1, debug_id dbg-123/);
    expect(stdout).toMatch(
      /lead\s+404\s+REFUSED\s+NOT_FOUND: event_id o9d2h does not belong to provided account \(event_id\)/,
    );
    expect(stdout).toContain('1 of 2 events refused');
    expect(code).toBe(1);
  });

  it('gives each verdict as JSON', async () => {
    const { stdout } = await run(['verify', '--endpoint', endpoint, '--json']);
    const answer = JSON.parse(stdout);
    expect(answer.refused).toBe(1);
    expect(
      answer.events.map((e: { event: string; accepted: boolean }) => [e.event, e.accepted]),
    ).toEqual([
      ['purchase', true],
      ['lead', false],
    ]);
  });
});

describe('upload', () => {
  it('stops before reading a row when the edge reports configuration problems', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xcapi-commands-'));
    const file = join(dir, 'orders.csv');
    await writeFile(file, 'event,email\npurchase,a@b.example\n');
    const before = seen.length;
    const { code, stderr } = await run(['upload', file, '--endpoint', `${endpoint}/broken`]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'x-capi-edge: the edge is not configured: X_EVENTS is not valid JSON: expected e.g. {"purchase":"o9d2g"}\n',
    );
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/broken/health']);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('help', () => {
  it('lists the commands and exit codes, and each command its flags', async () => {
    const general = await run(['--help'], {});
    expect(general.code).toBe(0);
    expect(general.stdout).toMatch(
      /status .*\n.*dead-letters .*\n.*redrive .*\n.*verify .*\n.*upload FILE/,
    );
    expect(general.stdout).toContain('1  the run completed, but some rows or events were refused');
    const upload = await run(['upload', '--help'], {});
    expect(upload.stdout).toContain('--rate N');
    expect(upload.stdout).toContain('--resume');
  });
});
