/**
 * Several pixels in one edge, as pure decisions: reading `X_PIXELS` and the
 * per-pixel secrets (edge/config.ts, edge/pixels/pixel-config.ts), and
 * choosing a request's pixel (edge/pixels/pixel-routing.ts).
 */
import { describe, expect, it } from 'vitest';
import { type EdgeConfig, parseConfig, settingsOf } from '../../edge/config.ts';
import { XApiError } from '../../edge/errors.ts';
import { parsePixels } from '../../edge/pixels/pixel-config.ts';
import {
  budgetShare,
  pixelForHost,
  pixelForOrigin,
  pixelView,
  queuedPixel,
  serverPixel,
  visiblePixels,
} from '../../edge/pixels/pixel-routing.ts';

const SHOP_A = { id: 'o9d7n', events: { purchase: 'o9d2g' }, origins: ['https://shop-a.example'] };
const SHOP_B = {
  id: 'p2k4m',
  events: { purchase: 'p2k5a', lead: 'p2k5b' },
  origins: ['https://shop-b.example', 'https://www.shop-b.example'],
  account: '18ce552mlaq',
};
const SHOP_C = {
  id: 'q7r8s',
  events: { purchase: 'q7r9a' },
  origins: ['https://shop-c.example'],
  account: '18ce552mlaq',
};
const KEY = 'k'.repeat(32);

function configOf(env: Record<string, string>): { config: EdgeConfig; problems: string[] } {
  const result = parseConfig(env);
  return { config: settingsOf(result), problems: result.ok ? [] : result.problems };
}

const several = (pixels: unknown[], more: Record<string, string> = {}) =>
  configOf({ X_PIXELS: JSON.stringify(pixels), ...more });

function refusal(run: () => unknown): { status: number; errors: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof XApiError) return { status: error.status, errors: error.errors };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('X_PIXELS', () => {
  it('reads each pixel with its events, origins and account', () => {
    const { config, problems } = several([SHOP_A, SHOP_B]);
    expect(problems).toEqual([]);
    expect(config.pixels.map(({ credentials: _c, ...pixel }) => pixel)).toEqual([SHOP_A, SHOP_B]);
    // Before a request chooses a pixel: no id, no events, every origin.
    expect(config.pixelId).toBe('');
    expect(Object.keys(config.events)).toEqual([]);
    expect(config.allowedOrigins).toEqual([...SHOP_A.origins, ...SHOP_B.origins]);
  });

  it('makes the one-pixel settings a list of one, unchanged otherwise', () => {
    const { config, problems } = configOf({
      X_PIXEL_ID: 'o9d7n',
      X_EVENTS: '{"purchase":"o9d2g"}',
      ALLOWED_ORIGINS: 'https://shop-a.example',
    });
    expect(problems).toEqual([]);
    expect(config.pixelId).toBe('o9d7n');
    expect(config.pixels).toMatchObject([SHOP_A]);
    expect(pixelView(config, config.pixels[0] as never)).toBe(config);
  });

  it.each([
    [
      'the one-pixel settings as well',
      {
        X_PIXELS: JSON.stringify([SHOP_A]),
        X_PIXEL_ID: 'o9d7n',
        ALLOWED_ORIGINS: 'https://x.example',
      },
      'X_PIXELS is set, so X_PIXEL_ID, ALLOWED_ORIGINS must be empty',
    ],
    ['bad JSON', { X_PIXELS: '[{"id":' }, 'X_PIXELS is not valid JSON'],
    [
      'no list',
      { X_PIXELS: '{"id":"o9d7n"}' },
      'X_PIXELS: X_PIXELS must be a JSON array of pixels',
    ],
    ['an empty list', { X_PIXELS: '[]' }, 'X_PIXELS must list at least one pixel'],
    [
      'a bad tag',
      { X_PIXELS: JSON.stringify([{ ...SHOP_A, events: { purchase: 'not a tag' } }]) },
      'X_PIXELS[0].events.purchase: events must map to Single Event Tag ids',
    ],
    [
      'a bad origin',
      { X_PIXELS: JSON.stringify([SHOP_A, { ...SHOP_B, origins: ['shop-b.example/cart'] }]) },
      'X_PIXELS[1].origins[0]: origins must look like https://shop.example',
    ],
    [
      'an unknown field',
      { X_PIXELS: JSON.stringify([{ ...SHOP_A, token: 'secret' }]) },
      'X_PIXELS[0].token',
    ],
    [
      'no events',
      { X_PIXELS: JSON.stringify([{ ...SHOP_A, events: {} }]) },
      'events must name at least one event',
    ],
    [
      'an origin under two pixels',
      {
        X_PIXELS: JSON.stringify([SHOP_A, { ...SHOP_B, origins: ['https://SHOP-A.example:443'] }]),
      },
      'origin https://shop-a.example is listed under pixels o9d7n and p2k4m',
    ],
    [
      'a pixel twice',
      { X_PIXELS: JSON.stringify([SHOP_A, { ...SHOP_B, id: 'O9D7N' }]) },
      'pixel O9D7N is listed twice',
    ],
    [
      'a tag under two pixels',
      { X_PIXELS: JSON.stringify([SHOP_A, { ...SHOP_B, events: { purchase: 'o9d2g' } }]) },
      'event tag o9d2g is listed under pixels o9d7n and p2k4m',
    ],
    [
      'half of a pixel own OAuth secrets',
      {
        X_PIXELS: JSON.stringify([SHOP_A]),
        X_CONSUMER_KEY_O9D7N: 'ck',
        X_ACCESS_TOKEN_O9D7N: 'at',
      },
      'OAuth 1.0a credentials are incomplete: missing X_CONSUMER_SECRET_O9D7N, X_ACCESS_TOKEN_SECRET_O9D7N',
    ],
    [
      'a short pixel key',
      { X_PIXELS: JSON.stringify([SHOP_A]), SERVER_KEY_O9D7N: 'short' },
      'SERVER_KEY_O9D7N must be at least 32 characters',
    ],
  ])('is a configuration problem with %s', (_name, env, problem) => {
    const { problems } = configOf(env);
    expect(problems.join('\n')).toContain(problem);
  });

  it('never puts a value in a problem', () => {
    const { problems } = configOf({
      X_PIXELS: JSON.stringify([{ ...SHOP_A, token: 'secret-value' }]),
      X_CONSUMER_KEY_O9D7N: 'ck-secret-value',
    });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).not.toContain('secret-value');
  });

  it('caps the list', () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ ...SHOP_A, id: `px${i}`, origins: [] }));
    expect(parsePixels(JSON.stringify(many)).problems.join()).toContain('at most 1000 pixels');
  });
});

describe('per-pixel secrets', () => {
  const shared = {
    X_CONSUMER_KEY: 'ck',
    X_CONSUMER_SECRET: 'cs',
    X_ACCESS_TOKEN: 'at',
    X_ACCESS_TOKEN_SECRET: 'ats',
    QUEUE_SEAL_KEY: 's'.repeat(32),
  };

  it('gives a pixel its own token or OAuth secrets, the others the shared ones', () => {
    const { config, problems } = several([SHOP_A, SHOP_B, SHOP_C], {
      ...shared,
      X_PIXEL_TOKEN_P2K4M: 'b-token',
      X_CONSUMER_KEY_Q7R8S: 'c-ck',
      X_CONSUMER_SECRET_Q7R8S: 'c-cs',
      X_ACCESS_TOKEN_Q7R8S: 'c-at',
      X_ACCESS_TOKEN_SECRET_Q7R8S: 'c-ats',
      SERVER_KEY_P2K4M: KEY,
    });
    expect(problems).toEqual([]);
    const [a, b, c] = config.pixels;
    expect(a?.credentials).toEqual({
      kind: 'oauth1',
      consumerKey: 'ck',
      consumerSecret: 'cs',
      accessToken: 'at',
      accessTokenSecret: 'ats',
    });
    expect(b?.credentials).toEqual({ kind: 'pixel-token', token: 'b-token' });
    expect(c?.credentials).toMatchObject({ kind: 'oauth1', consumerKey: 'c-ck' });
    expect([a?.serverKey, b?.serverKey, c?.serverKey]).toEqual([undefined, KEY, undefined]);
    // A pixel's view carries its own credentials to the X client.
    expect(pixelView(config, b as never).credentials).toEqual(b?.credentials);
  });

  it('asks for QUEUE_SEAL_KEY when only one pixel has credentials', () => {
    const { problems } = several([SHOP_A, SHOP_B], { X_PIXEL_TOKEN_P2K4M: 'b-token' });
    expect(problems.join()).toContain('QUEUE_SEAL_KEY is not set');
  });
});

describe('choosing the pixel', () => {
  const { config } = several([SHOP_A, SHOP_B, SHOP_C]);

  it('by a browser call origin, and by a page host', () => {
    expect(pixelForOrigin(config, 'https://shop-a.example')?.id).toBe('o9d7n');
    expect(pixelForOrigin(config, 'https://www.shop-b.example')?.id).toBe('p2k4m');
    expect(pixelForOrigin(config, 'https://evil.example')).toBeUndefined();
    expect(pixelForHost(config, 'SHOP-C.example')?.id).toBe('q7r8s');
    expect(pixelForHost(config, 'edge.example')).toBeUndefined();
  });

  it('by the pixel a server call names, required among several', () => {
    expect(serverPixel(config, 'p2k4m', undefined).id).toBe('p2k4m');
    expect(serverPixel(config, 'P2K4M', undefined).id).toBe('p2k4m');
    expect(refusal(() => serverPixel(config, undefined, undefined))).toEqual({
      status: 400,
      errors: [
        {
          code: 'INVALID_PARAMETER',
          message: 'pixel is required: this edge serves pixels o9d7n, p2k4m, q7r8s',
          parameter: 'pixel',
        },
      ],
    });
    expect(refusal(() => serverPixel(config, 'zzz99', undefined))).toMatchObject({
      status: 400,
      errors: [{ code: 'INVALID_PARAMETER', parameter: 'pixel' }],
    });
    expect(refusal(() => serverPixel(config, 7, undefined)).status).toBe(400);
  });

  it('not required with one pixel', () => {
    const one = several([SHOP_A]).config;
    expect(serverPixel(one, undefined, undefined).id).toBe('o9d7n');
  });

  it('a pixel key addresses its own pixel only, and learns nothing of others', () => {
    expect(serverPixel(config, undefined, 'p2k4m').id).toBe('p2k4m');
    expect(serverPixel(config, 'p2k4m', 'p2k4m').id).toBe('p2k4m');
    const other = refusal(() => serverPixel(config, 'o9d7n', 'p2k4m'));
    const unknown = refusal(() => serverPixel(config, 'zzz99', 'p2k4m'));
    expect(other).toEqual({
      status: 403,
      errors: [
        { code: 'FORBIDDEN', message: 'This key may address pixel p2k4m only', parameter: 'pixel' },
      ],
    });
    expect(unknown).toEqual(other);
    expect(visiblePixels(config, 'p2k4m').map((p) => p.id)).toEqual(['p2k4m']);
    expect(visiblePixels(config, undefined).map((p) => p.id)).toEqual(['o9d7n', 'p2k4m', 'q7r8s']);
  });

  it('splits an ad account budget between the pixels sharing it', () => {
    const [a, b, c] = config.pixels;
    expect([a, b, c].map((p) => budgetShare(config, p as never))).toEqual([1, 2, 2]);
  });

  it('delivers a queued conversion as its pixel; with one pixel, also one of an earlier X_PIXEL_ID', () => {
    expect(queuedPixel(config, 'q7r8s')?.events).toEqual(SHOP_C.events);
    expect(queuedPixel(config, 'gone1')).toBeUndefined();
    const one = several([SHOP_A]).config;
    expect(queuedPixel(one, 'old01')).toMatchObject({ id: 'old01', events: SHOP_A.events });
  });
});
