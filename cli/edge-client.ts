/**
 * @module
 * The CLI's HTTP client for the edge: every call carries the server key,
 * answers are parsed once, and every failure becomes an `EdgeHttpError` or
 * a `CliError` that already says what to do about it.
 */

import { xErrorItems } from '../edge/errors.ts';
import type {
  AcceptedAnswer,
  DeadLetterPage,
  HealthAnswer,
  RedriveAnswer,
  RedriveSelector,
  StatusAnswer,
  VerifyAnswer,
} from './edge-api.ts';
import { CliError, ExitCode, formatXError, type XErrorItem } from './errors.ts';

/** How long one call may take before the edge counts as unreachable. */
const REQUEST_TIMEOUT_MS = 60_000;

/** The edge answered, but not with success. */
export class EdgeHttpError extends CliError {
  override readonly name = 'EdgeHttpError';
  readonly status: number;
  readonly errors: XErrorItem[];
  /** Seconds from `Retry-After`, when the edge sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, errors: XErrorItem[], message: string, retryAfter?: number) {
    super(message, ExitCode.usage);
    this.status = status;
    this.errors = errors;
    this.retryAfterSeconds = retryAfter;
  }
}

/** The edge could not be reached at all (refused, timed out, DNS). */
export class EdgeUnreachableError extends CliError {
  override readonly name = 'EdgeUnreachableError';
}

export interface EdgeClientOptions {
  /** Base URL of the edge, including its `BASE_PATH`, e.g. `https://shop.example/xcapi`. */
  endpoint: string;
  /** The edge's `SERVER_KEY` (or a pixel's `SERVER_KEY_<ID>`). */
  serverKey: string;
  /** The pixel every call addresses (`?pixel=`), for an edge serving several. */
  pixel?: string;
  fetch?: typeof fetch;
}

export interface EdgeClient {
  health(): Promise<HealthAnswer>;
  status(): Promise<StatusAnswer>;
  deadLetters(query: {
    event?: string;
    reason?: string;
    limit?: number;
    cursor?: string;
  }): Promise<DeadLetterPage>;
  redrive(selector: RedriveSelector): Promise<RedriveAnswer>;
  verify(event: Record<string, unknown>): Promise<VerifyAnswer>;
  /** `pixel` names the edge's pixel in the body (a CSV's `pixel` column). */
  sendEvents(events: Record<string, unknown>[], pixel?: string): Promise<AcceptedAnswer>;
}

function causeOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const cause =
    error instanceof Error
      ? (error.cause as { code?: string; message?: string } | undefined)
      : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function errorFor(status: number, body: unknown, what: string, retryAfter?: number): EdgeHttpError {
  const errors = xErrorItems(body);
  const detail = errors.length > 0 ? errors.map(formatXError).join('; ') : `HTTP ${status}`;
  let message: string;
  if (status === 401) {
    message = `the edge refused the server key (401): XCAPI_SERVER_KEY must equal the edge's SERVER_KEY (${detail})`;
  } else if (status === 404 && (errors.length === 0 || errors[0]?.code === 'ROUTE_NOT_FOUND')) {
    message = `${what}: the edge has no such route (404); check --endpoint (include BASE_PATH) and that the edge is up to date`;
  } else {
    message = `${what} answered ${status}: ${detail}`;
  }
  return new EdgeHttpError(status, errors, message, retryAfter);
}

/** `url` with `?pixel=` added to its query. */
function withPixel(url: string, pixel: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('pixel', pixel);
  return parsed.href;
}

/**
 * Creates the client.
 *
 * @example
 * const edge = createEdgeClient({ endpoint: 'https://shop.example/xcapi', serverKey });
 * const status = await edge.status(); // { pixel_id, ... } or { pixels: [...] }
 */
export function createEdgeClient({
  endpoint,
  serverKey,
  pixel,
  fetch: fetchImpl = fetch,
}: EdgeClientOptions): EdgeClient {
  const base = endpoint.replace(/\/+$/, '');

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    alsoSuccess: readonly number[] = [],
  ): Promise<T> {
    const url = pixel === undefined ? `${base}${path}` : withPixel(`${base}${path}`, pixel);
    const what = `${method} ${path.split('?')[0]}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        headers: {
          authorization: `Bearer ${serverKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new EdgeUnreachableError(`cannot reach the edge at ${base} (${causeOf(error)})`);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): kept as text for the message.
    }
    if (!response.ok && !alsoSuccess.includes(response.status)) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw errorFor(
        response.status,
        parsed,
        what,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    if (typeof parsed !== 'object' || parsed === null) {
      throw new CliError(`${what}: the edge answered ${response.status} without JSON`);
    }
    return parsed as T;
  }

  return {
    // A blocked delivery or a broken configuration answers 503 with the same JSON: a state to show.
    health: () => call<HealthAnswer>('GET', '/health', undefined, [503]),
    status: () => call<StatusAnswer>('GET', '/status'),
    deadLetters: (query) => {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) params.set(name, String(value));
      }
      const search = params.size > 0 ? `?${params}` : '';
      return call<DeadLetterPage>('GET', `/dead-letters${search}`);
    },
    redrive: (selector) => call<RedriveAnswer>('POST', '/dead-letters/redrive', selector),
    verify: (event) => call<VerifyAnswer>('POST', '/events/verify', event),
    sendEvents: (events, rowPixel) =>
      call<AcceptedAnswer>(
        'POST',
        '/events',
        rowPixel === undefined ? { events } : { pixel: rowPixel, events },
      ),
  };
}
