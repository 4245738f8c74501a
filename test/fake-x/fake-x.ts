/**
 * @module
 * A local fake of X's Conversion API with state, independent of transport:
 * `fake.handle(request)` takes a standard `Request` and returns a `Response`,
 * so it runs in unit tests directly and behind node:http (./server.ts).
 *
 * It checks what X checks on `POST /:version/measurement/conversions/:pixel_id`:
 * OAuth 1.0a HMAC-SHA1 (recomputed from scratch, ./oauth1-verify.ts) or the
 * `X-Pixel-Token` header, the account's quota, and the body rules
 * (./validate-conversions.ts). Under `/__fake/` it serves a JSON control API
 * (client: ./control.ts) to register accounts, inject faults and read what
 * arrived.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { XConversion } from '../../edge/x-api/conversion.ts';
import {
  hmacSha1Signature,
  parseOAuthHeader,
  signatureBaseString,
  signaturesMatch,
} from './oauth1-verify.ts';
import { TEST_ACCOUNT } from './test-account.ts';
import {
  type ConversionCheck,
  checkConversionRequest,
  type FakeXErrorItem,
} from './validate-conversions.ts';

export type { FakeXErrorItem } from './validate-conversions.ts';

/** X's quota: events per account per window. */
export interface RateLimit {
  events: number;
  windowSeconds: number;
}

/**
 * A pixel the fake knows, with its ad account, event tags and credentials.
 * Several pixels may name one `accountId`: they share its quota, and each
 * refuses the others' event tags, as X does.
 */
export interface FakeAccount {
  accountId: string;
  pixelId: string;
  /** Event name to Single Event Tag id, like the edge's `X_EVENTS`. */
  events: Record<string, string>;
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessTokenSecret: string;
  pixelToken: string;
  rateLimit: RateLimit;
}

/** What `addAccount` takes: anything left out is generated (ids) or the test account's. */
export type NewAccount = Partial<FakeAccount>;

/**
 * One injected answer. `acceptFirst` accepts the conversions, then answers
 * the fault anyway (a lost response: the client will send them again).
 */
export type Fault =
  | { kind: 'status'; status: number; resetAfterSeconds?: number; acceptFirst?: boolean }
  | { kind: 'non-json'; status: number; acceptFirst?: boolean }
  | { kind: 'hang' };

/**
 * Faults for one pixel. A fault answers before authentication and body checks
 * (as X's front end would), unless `acceptFirst` says the request got through.
 */
export interface FaultPlan {
  /** Answered in order to the next requests, each `times` times (default 1). */
  next?: Array<Fault & { times?: number }>;
  /** Then, per request, each fault with probability `rate` from a seeded generator. */
  random?: { seed: number; faults: Array<{ rate: number; fault: Fault }> };
  /** Every request after `next` gets this answer until the plan changes (an outage). */
  always?: Fault;
  /** The credentials are refused (a revoked token): every request answers X's 401. */
  revoked?: boolean;
  /** These Single Event Tags are not the account's: X's 404 "does not belong to provided account". */
  unknownEventIds?: string[];
  /** Conversions with these ids are invalid: the request that holds one answers 400. */
  rejectConversionIds?: string[];
}

export type AuthKind = 'oauth1' | 'pixel-token' | 'none';

/** One request to the conversions endpoint, as the fake answered it. */
export interface ReceivedRequest {
  at: string;
  pixelId: string;
  apiVersion: string;
  status: number;
  /** Which credential the request presented (valid or not). */
  auth: AuthKind;
  /** Conversions in the body (0 when it was not a JSON list). */
  count: number;
  outcome: 'accepted' | 'invalid' | 'unauthorized' | 'rate-limited' | 'fault' | 'not-found';
  fault?: Fault['kind'];
  debugId?: string;
  errors?: FakeXErrorItem[];
}

export interface Received {
  requests: ReceivedRequest[];
  /** Every accepted conversion, in arrival order, exactly as sent. */
  conversions: XConversion[];
}

export interface FakeXOptions {
  /** Clock in epoch milliseconds; tests pin it to check timestamps and windows. */
  now?: () => number;
  /** Called once per conversions request (main.ts logs it). */
  onRequest?: (entry: ReceivedRequest) => void;
  /** Upper bound of a `hang` fault when no client gives up first. */
  maxHangMs?: number;
}

/** X's window for `oauth_timestamp`, in seconds either way. */
export const TIMESTAMP_WINDOW_SECONDS = 300;
const DEFAULT_RATE_LIMIT: RateLimit = { events: 60_000, windowSeconds: 900 };
const CONVERSIONS_ROUTE = /^\/(\d{1,3})\/measurement\/conversions\/([^/]+)\/?$/;

interface PixelState {
  received: Received;
  next: Array<Fault & { times: number }>;
  random?: { draw: () => number; faults: Array<{ rate: number; fault: Fault }> };
  always?: Fault;
  revoked: boolean;
  unknownEventIds: Set<string>;
  rejectConversionIds: Set<string>;
  /** The ad account's window, shared by every pixel of the account (X limits per account). */
  window: { start: number; used: number };
}

/** Seeded generator (mulberry32) so random fault runs are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

function randomId(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

class ControlInputError extends Error {
  override readonly name = 'ControlInputError';
}

/**
 * The fake X API. One instance holds accounts, nonces, quotas, faults and
 * everything received.
 *
 * @example
 * const fake = new FakeX();
 * const res = await fake.handle(new Request(`http://x.test/12/measurement/conversions/${pixel}`, init));
 * fake.received(pixel).conversions; // what X accepted
 */
export class FakeX {
  readonly #now: () => number;
  readonly #onRequest: ((entry: ReceivedRequest) => void) | undefined;
  readonly #maxHangMs: number;
  readonly #accounts = new Map<string, FakeAccount>();
  readonly #pixels = new Map<string, PixelState>();
  /** Quota use per ad account id. */
  readonly #windows = new Map<string, { start: number; used: number }>();
  /** Seen `consumerKey nonce` pairs with their timestamp (s), pruned past the window. */
  readonly #nonces = new Map<string, number>();
  readonly #hangs = new Set<() => void>();
  #lastNoncePruneSeconds = 0;

  constructor(options: FakeXOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#onRequest = options.onRequest;
    this.#maxHangMs = options.maxHangMs ?? 120_000;
    this.reset();
  }

  /** Forgets everything and knows only the default test account again. */
  reset(): void {
    this.#accounts.clear();
    this.#pixels.clear();
    this.#windows.clear();
    this.#nonces.clear();
    this.addAccount({ ...TEST_ACCOUNT, events: { ...TEST_ACCOUNT.events } });
  }

  /** Forgets what one pixel received, its faults and its quota use. */
  resetPixel(pixelId: string): void {
    this.#pixels.delete(pixelId);
    const account = this.#accounts.get(pixelId);
    if (account) this.#windows.delete(account.accountId);
  }

  /**
   * Registers an account (replacing one with the same pixel id). Missing ids
   * are generated uniquely; missing credentials and events are TEST_ACCOUNT's,
   * so an edge configured with the test credentials can use any pixel.
   */
  addAccount(input: NewAccount = {}): FakeAccount {
    const account: FakeAccount = {
      accountId: input.accountId ?? randomId(11),
      pixelId: input.pixelId ?? `p${randomId(9)}`,
      events: { ...(input.events ?? TEST_ACCOUNT.events) },
      consumerKey: input.consumerKey ?? TEST_ACCOUNT.consumerKey,
      consumerSecret: input.consumerSecret ?? TEST_ACCOUNT.consumerSecret,
      accessToken: input.accessToken ?? TEST_ACCOUNT.accessToken,
      accessTokenSecret: input.accessTokenSecret ?? TEST_ACCOUNT.accessTokenSecret,
      pixelToken: input.pixelToken ?? TEST_ACCOUNT.pixelToken,
      rateLimit: { ...(input.rateLimit ?? DEFAULT_RATE_LIMIT) },
    };
    checkAccount(account);
    this.#accounts.set(account.pixelId, account);
    return { ...account, events: { ...account.events } };
  }

  /** Replaces the pixel's fault plan; an empty plan clears it. */
  setFaults(pixelId: string, plan: FaultPlan): void {
    checkFaultPlan(plan);
    const state = this.#state(pixelId);
    state.next = (plan.next ?? []).map((f) => ({ ...f, times: f.times ?? 1 }));
    state.random = plan.random
      ? { draw: seededRandom(plan.random.seed), faults: plan.random.faults }
      : undefined;
    state.always = plan.always;
    state.revoked = plan.revoked === true;
    state.unknownEventIds = new Set(plan.unknownEventIds ?? []);
    state.rejectConversionIds = new Set(plan.rejectConversionIds ?? []);
  }

  /** Changes an account's quota and starts a fresh window. */
  setRateLimit(pixelId: string, limit: RateLimit): void {
    const account = this.#accounts.get(pixelId);
    if (!account) throw new ControlInputError(`unknown pixel ${pixelId}`);
    checkRateLimit(limit);
    account.rateLimit = { events: limit.events, windowSeconds: limit.windowSeconds };
    Object.assign(this.#state(pixelId).window, { start: this.#now(), used: 0 });
  }

  /** Everything the pixel received so far (copies). */
  received(pixelId: string): Received {
    const { received } = this.#state(pixelId);
    return structuredClone(received);
  }

  /** Ends every hanging request (server shutdown). */
  close(): void {
    for (const release of this.#hangs) release();
    this.#hangs.clear();
  }

  /** Answers one HTTP request: control API under `/__fake/`, else the X API. */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/__fake/')) return this.#control(request, url);
    const route = CONVERSIONS_ROUTE.exec(url.pathname);
    if (!route || request.method !== 'POST') {
      return json(404, {
        errors: [{ code: 'ROUTE_NOT_FOUND', message: 'The requested resource could not be found' }],
      });
    }
    const [, apiVersion = '', pixelId = ''] = route;
    return this.#conversions(request, url, apiVersion, decodeURIComponent(pixelId));
  }

  #state(pixelId: string): PixelState {
    let state = this.#pixels.get(pixelId);
    if (!state) {
      state = {
        received: { requests: [], conversions: [] },
        next: [],
        revoked: false,
        unknownEventIds: new Set(),
        rejectConversionIds: new Set(),
        window: this.#accountWindow(pixelId),
      };
      this.#pixels.set(pixelId, state);
    }
    return state;
  }

  async #conversions(
    request: Request,
    url: URL,
    apiVersion: string,
    pixelId: string,
  ): Promise<Response> {
    const bodyText = await request.text();
    const auth: AuthKind = request.headers.has('x-pixel-token')
      ? 'pixel-token'
      : request.headers.has('authorization')
        ? 'oauth1'
        : 'none';
    const state = this.#state(pixelId);
    const entry: ReceivedRequest = {
      at: new Date(this.#now()).toISOString(),
      pixelId,
      apiVersion,
      status: 0,
      auth,
      count: countConversions(bodyText),
      outcome: 'accepted',
    };
    const answer = (
      status: number,
      outcome: ReceivedRequest['outcome'],
      body: unknown,
      headers: Record<string, string> = {},
    ): Response => {
      entry.status = status;
      entry.outcome = outcome;
      state.received.requests.push(entry);
      this.#onRequest?.(entry);
      return json(status, body, headers);
    };

    const account = this.#accounts.get(pixelId);
    if (!account) {
      return answer(404, 'not-found', {
        errors: [
          {
            code: 'NOT_FOUND',
            message: `pixel_id (${pixelId.slice(0, 40)}) was not found`,
            parameter: 'pixel_id',
          },
        ],
      });
    }
    const requestParams = { request: { params: { account_id: account.accountId } } };
    const quota = this.#quotaHeaders(account, state);

    const fault = this.#drawFault(state);
    if (fault && !(fault.kind !== 'hang' && fault.acceptFirst)) {
      entry.fault = fault.kind;
      return this.#faultAnswer(fault, request, entry, state, requestParams, quota);
    }

    const authErrors = state.revoked
      ? [{ code: 'UNAUTHORIZED', message: 'Invalid or expired token' }]
      : this.#authenticate(request, url, account);
    if (authErrors) {
      entry.errors = authErrors;
      return answer(401, 'unauthorized', { errors: authErrors, ...requestParams }, quota);
    }

    const contentType = request.headers.get('content-type') ?? '';
    let body: unknown;
    try {
      if (!/^application\/json\s*(;|$)/i.test(contentType)) throw new Error('not JSON');
      body = JSON.parse(bodyText);
    } catch {
      const errors = [
        {
          code: 'INVALID_REQUEST',
          message: 'Request body must be JSON sent as Content-Type application/json',
        },
      ];
      entry.errors = errors;
      return answer(400, 'invalid', { errors, ...requestParams }, quota);
    }

    const tags = new Set(
      Object.values(account.events).filter((t) => !state.unknownEventIds.has(t)),
    );
    const check = rejectChosen(checkConversionRequest(body, pixelId, tags), state);
    if (!check.ok) {
      entry.errors = check.errors;
      return answer(check.status, 'invalid', { errors: check.errors, ...requestParams }, quota);
    }

    const window = this.#currentWindow(account, state);
    if (window.used + check.conversions.length > account.rateLimit.events) {
      const errors = [{ code: 'TOO_MANY_REQUESTS', message: 'Rate limit exceeded' }];
      entry.errors = errors;
      return answer(
        429,
        'rate-limited',
        { errors, ...requestParams },
        {
          ...this.#quotaHeaders(account, state),
        },
      );
    }
    window.used += check.conversions.length;
    state.received.conversions.push(...structuredClone(check.conversions));
    const debugId = randomUUID();
    entry.debugId = debugId;

    if (fault) {
      entry.fault = fault.kind;
      return this.#faultAnswer(fault, request, entry, state, requestParams, quota);
    }
    return answer(
      200,
      'accepted',
      {
        ...requestParams,
        data: { conversions_processed: check.conversions.length, debug_id: debugId },
      },
      this.#quotaHeaders(account, state),
    );
  }

  /** Returns the protocol errors of a request, or undefined when it is authentic. */
  #authenticate(request: Request, url: URL, account: FakeAccount): FakeXErrorItem[] | undefined {
    const unauthorized = (code: string, message: string) => [{ code, message }];
    const pixelToken = request.headers.get('x-pixel-token');
    if (pixelToken !== null) {
      return signaturesMatch(account.pixelToken, pixelToken)
        ? undefined
        : unauthorized('UNAUTHORIZED', 'X-Pixel-Token is not valid for this pixel');
    }
    const params = parseOAuthHeader(request.headers.get('authorization'));
    if (!params) {
      return unauthorized(
        'UNAUTHORIZED',
        'This request is not properly authenticated: OAuth 1.0a Authorization header or X-Pixel-Token required',
      );
    }
    const missing = [
      'oauth_consumer_key',
      'oauth_token',
      'oauth_signature_method',
      'oauth_timestamp',
      'oauth_nonce',
      'oauth_signature',
    ].filter((name) => !params.has(name));
    if (missing.length > 0) {
      return unauthorized('UNAUTHORIZED', `OAuth parameters missing: ${missing.join(', ')}`);
    }
    const get = (name: string) => params.get(name) ?? '';
    if (get('oauth_consumer_key') !== account.consumerKey) {
      return unauthorized('UNAUTHORIZED', 'Unknown consumer key for this account');
    }
    if (get('oauth_token') !== account.accessToken) {
      return unauthorized('UNAUTHORIZED', 'Access token has no access to this account');
    }
    if (get('oauth_signature_method') !== 'HMAC-SHA1') {
      return unauthorized('UNAUTHORIZED', 'oauth_signature_method must be HMAC-SHA1');
    }
    if (params.has('oauth_version') && get('oauth_version') !== '1.0') {
      return unauthorized('UNAUTHORIZED', 'oauth_version must be 1.0');
    }
    const timestamp = Number(get('oauth_timestamp'));
    const nowSeconds = Math.floor(this.#now() / 1000);
    if (
      !/^\d{1,12}$/.test(get('oauth_timestamp')) ||
      Math.abs(nowSeconds - timestamp) > TIMESTAMP_WINDOW_SECONDS
    ) {
      return unauthorized(
        'UNAUTHORIZED',
        `oauth_timestamp is outside ${TIMESTAMP_WINDOW_SECONDS} s of the server clock`,
      );
    }
    const expected = hmacSha1Signature(
      signatureBaseString({ method: request.method, url, oauthParams: params }),
      account.consumerSecret,
      account.accessTokenSecret,
    );
    if (!signaturesMatch(expected, get('oauth_signature'))) {
      return unauthorized('INVALID_SIGNATURE', 'OAuth signature does not match the request');
    }
    // Only an authentic request burns its nonce, as in section 3.2's order of checks.
    this.#pruneNonces(nowSeconds);
    const nonceKey = `${account.consumerKey} ${get('oauth_nonce')}`;
    if (this.#nonces.has(nonceKey)) {
      return unauthorized('UNAUTHORIZED', 'oauth_nonce was already used');
    }
    this.#nonces.set(nonceKey, timestamp);
    return undefined;
  }

  #pruneNonces(nowSeconds: number): void {
    // At most once a second: a benchmark may hold many thousands of nonces.
    if (nowSeconds === this.#lastNoncePruneSeconds) return;
    this.#lastNoncePruneSeconds = nowSeconds;
    for (const [key, timestamp] of this.#nonces) {
      if (Math.abs(nowSeconds - timestamp) > TIMESTAMP_WINDOW_SECONDS) this.#nonces.delete(key);
    }
  }

  #drawFault(state: PixelState): Fault | undefined {
    const head = state.next[0];
    if (head) {
      head.times -= 1;
      if (head.times <= 0) state.next.shift();
      const { times: _times, ...fault } = head;
      return fault;
    }
    if (state.always) return state.always;
    if (!state.random) return undefined;
    const roll = state.random.draw();
    let threshold = 0;
    for (const { rate, fault } of state.random.faults) {
      threshold += rate;
      if (roll < threshold) return fault;
    }
    return undefined;
  }

  async #faultAnswer(
    fault: Fault,
    request: Request,
    entry: ReceivedRequest,
    state: PixelState,
    requestParams: object,
    quota: Record<string, string>,
  ): Promise<Response> {
    entry.outcome = entry.debugId ? 'accepted' : 'fault';
    if (fault.kind === 'hang') {
      await this.#hang(request.signal);
      entry.status = 504;
      state.received.requests.push(entry);
      this.#onRequest?.(entry);
      return json(504, { errors: [{ code: 'GATEWAY_TIMEOUT', message: 'Hung until closed' }] });
    }
    entry.status = fault.status;
    state.received.requests.push(entry);
    this.#onRequest?.(entry);
    if (fault.kind === 'non-json') {
      return new Response(`<html><body><h1>${fault.status} Service trouble</h1></body></html>`, {
        status: fault.status,
        headers: { 'content-type': 'text/html' },
      });
    }
    const headers = { ...quota };
    if (fault.status === 429) {
      const reset = Math.ceil(this.#now() / 1000) + (fault.resetAfterSeconds ?? 60);
      Object.assign(headers, {
        'x-rate-limit-remaining': '0',
        'x-rate-limit-reset': String(reset),
      });
    }
    const code =
      fault.status === 429
        ? 'TOO_MANY_REQUESTS'
        : fault.status === 503
          ? 'SERVICE_UNAVAILABLE'
          : fault.status >= 500
            ? 'INTERNAL_ERROR'
            : 'INJECTED_FAULT';
    return json(
      fault.status,
      { errors: [{ code, message: `Injected fault: ${fault.status}` }], ...requestParams },
      headers,
    );
  }

  #hang(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.#hangs.delete(release);
        resolve();
      };
      const timer = setTimeout(release, this.#maxHangMs);
      if (typeof timer === 'object' && 'unref' in timer) timer.unref();
      this.#hangs.add(release);
      if (signal.aborted) release();
      else signal.addEventListener('abort', release, { once: true });
    });
  }

  /** The window of the pixel's ad account (its own when the pixel is unknown). */
  #accountWindow(pixelId: string): PixelState['window'] {
    const key = this.#accounts.get(pixelId)?.accountId ?? `pixel:${pixelId}`;
    let window = this.#windows.get(key);
    if (!window) {
      window = { start: this.#now(), used: 0 };
      this.#windows.set(key, window);
    }
    return window;
  }

  #currentWindow(account: FakeAccount, state: PixelState): PixelState['window'] {
    const windowMs = account.rateLimit.windowSeconds * 1000;
    const now = this.#now();
    // Changed in place: the window object is shared by the account's pixels.
    if (now - state.window.start >= windowMs) Object.assign(state.window, { start: now, used: 0 });
    return state.window;
  }

  #quotaHeaders(account: FakeAccount, state: PixelState): Record<string, string> {
    const window = this.#currentWindow(account, state);
    const reset = Math.ceil((window.start + account.rateLimit.windowSeconds * 1000) / 1000);
    return {
      'x-rate-limit-limit': String(account.rateLimit.events),
      'x-rate-limit-remaining': String(Math.max(0, account.rateLimit.events - window.used)),
      'x-rate-limit-reset': String(reset),
    };
  }

  /** The control API: JSON in, JSON out, 400 in X's error shape on bad input. */
  async #control(request: Request, url: URL): Promise<Response> {
    const path = url.pathname.slice('/__fake'.length);
    const method = request.method;
    try {
      if (method === 'POST' && path === '/reset') {
        this.reset();
        return new Response(null, { status: 204 });
      }
      if (method === 'POST' && path === '/accounts') {
        return json(201, this.addAccount((await readJson(request)) as NewAccount));
      }
      const pixelRoute = /^\/pixels\/([^/]+)\/(received|faults|rate-limit|reset)$/.exec(path);
      if (pixelRoute) {
        const pixelId = decodeURIComponent(pixelRoute[1] ?? '');
        const action = pixelRoute[2];
        if (method === 'GET' && action === 'received') return json(200, this.received(pixelId));
        if (method === 'PUT' && action === 'faults') {
          this.setFaults(pixelId, (await readJson(request)) as FaultPlan);
          return new Response(null, { status: 204 });
        }
        if (method === 'PUT' && action === 'rate-limit') {
          this.setRateLimit(pixelId, (await readJson(request)) as RateLimit);
          return new Response(null, { status: 204 });
        }
        if (method === 'POST' && action === 'reset') {
          this.resetPixel(pixelId);
          return new Response(null, { status: 204 });
        }
      }
      return json(404, {
        errors: [{ code: 'ROUTE_NOT_FOUND', message: `No control route ${method} ${path}` }],
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : 'bad control input';
      return json(400, { errors: [{ code: 'INVALID_PARAMETER', message }] });
    }
  }
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return JSON.parse((await request.text()) || '{}');
  } catch {
    throw new ControlInputError('control body must be JSON');
  }
}

/** A valid request holding a conversion chosen to be rejected answers 400, as X does for one bad conversion. */
function rejectChosen(check: ConversionCheck, state: PixelState): ConversionCheck {
  if (!check.ok || state.rejectConversionIds.size === 0) return check;
  const errors: FakeXErrorItem[] = [];
  check.conversions.forEach((conversion, index) => {
    if (state.rejectConversionIds.has(conversion.conversion_id)) {
      errors.push({
        code: 'INVALID_PARAMETER',
        message: `conversion_id (${conversion.conversion_id}) was rejected`,
        parameter: 'conversion_id',
        conversion_index: index,
      });
    }
  });
  return errors.length === 0 ? check : { ok: false, status: 400, errors };
}

function countConversions(bodyText: string): number {
  try {
    const body: unknown = JSON.parse(bodyText);
    if (typeof body === 'object' && body !== null && 'conversions' in body) {
      const { conversions } = body as { conversions: unknown };
      return Array.isArray(conversions) ? conversions.length : 0;
    }
  } catch {
    // Not JSON: counts as none.
  }
  return 0;
}

function checkAccount(account: FakeAccount): void {
  if (!/^[a-z0-9]{3,16}$/i.test(account.pixelId)) {
    throw new ControlInputError('pixelId must be 3-16 letters or digits');
  }
  if (typeof account.events !== 'object' || account.events === null) {
    throw new ControlInputError('events must map event names to Single Event Tag ids');
  }
  for (const name of [
    'accountId',
    'consumerKey',
    'consumerSecret',
    'accessToken',
    'accessTokenSecret',
    'pixelToken',
  ] as const) {
    if (typeof account[name] !== 'string' || account[name] === '') {
      throw new ControlInputError(`${name} must be a non-empty string`);
    }
  }
  checkRateLimit(account.rateLimit);
}

function checkRateLimit(limit: RateLimit): void {
  if (
    !Number.isInteger(limit?.events) ||
    limit.events < 0 ||
    !Number.isFinite(limit.windowSeconds) ||
    limit.windowSeconds <= 0
  ) {
    throw new ControlInputError('rateLimit needs integer events >= 0 and windowSeconds > 0');
  }
}

function checkFault(fault: Fault): void {
  if (fault?.kind === 'hang') return;
  if (
    (fault?.kind === 'status' || fault?.kind === 'non-json') &&
    Number.isInteger(fault.status) &&
    fault.status >= 200 &&
    fault.status <= 599
  ) {
    return;
  }
  throw new ControlInputError('fault must be {kind:"status"|"non-json", status} or {kind:"hang"}');
}

function checkFaultPlan(plan: FaultPlan): void {
  for (const fault of plan?.next ?? []) {
    checkFault(fault);
    if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0)) {
      throw new ControlInputError('fault times must be an integer > 0');
    }
  }
  if (plan?.always !== undefined) checkFault(plan.always);
  for (const list of [plan?.unknownEventIds, plan?.rejectConversionIds]) {
    if (list !== undefined && !(Array.isArray(list) && list.every((v) => typeof v === 'string'))) {
      throw new ControlInputError(
        'unknownEventIds and rejectConversionIds must be lists of strings',
      );
    }
  }
  if (plan?.random) {
    if (!Number.isInteger(plan.random.seed))
      throw new ControlInputError('random.seed must be an integer');
    let total = 0;
    for (const { rate, fault } of plan.random.faults ?? []) {
      checkFault(fault);
      if (!(rate >= 0 && rate <= 1)) throw new ControlInputError('fault rate must be within 0..1');
      total += rate;
    }
    if (total > 1) throw new ControlInputError('fault rates must add up to at most 1');
  }
}
