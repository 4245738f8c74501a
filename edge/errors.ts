/**
 * @module
 * Errors in X's own shape: `{"errors":[{"code","message","parameter"}]}`.
 * Routes throw `XApiError`; the app's single `onError` turns it (and anything
 * unexpected) into a response, so no stack trace or secret reaches a caller.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorName, log } from './log.ts';

/** One entry of X's `errors` array. */
export interface XErrorItem {
  code: string;
  message: string;
  parameter?: string;
}

export interface XErrorBody {
  errors: XErrorItem[];
}

/** A 4xx (or 503) answer in X's error shape, thrown at the HTTP boundary. */
/**
 * The `errors` array of a body in X's shape (X's answers, and the edge's own);
 * any other body yields none. A malformed item keeps what it has: code
 * `UNKNOWN`, an empty message.
 */
export function xErrorItems(body: unknown): XErrorItem[] {
  if (typeof body !== 'object' || body === null || !('errors' in body)) return [];
  const { errors } = body as { errors: unknown };
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((item): XErrorItem[] => {
    if (typeof item !== 'object' || item === null) return [];
    const { code, message, parameter } = item as Record<string, unknown>;
    return [
      {
        code: typeof code === 'string' ? code : 'UNKNOWN',
        message: typeof message === 'string' ? message : '',
        ...(typeof parameter === 'string' ? { parameter } : {}),
      },
    ];
  });
}

export class XApiError extends Error {
  override readonly name = 'XApiError';
  readonly status: ContentfulStatusCode;
  readonly errors: XErrorItem[];
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    errors: XErrorItem | XErrorItem[],
    headers: Record<string, string> = {},
  ) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => e.message).join('; '));
    this.status = status;
    this.errors = list;
    this.headers = headers;
  }
}

/** Shorthand for the most common error: one bad parameter, answered 400. */
export function invalidParameter(parameter: string, message: string): XApiError {
  return new XApiError(400, { code: 'INVALID_PARAMETER', message, parameter });
}

/** Error code X uses for each status we answer with. */
function codeForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 413:
      return 'REQUEST_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'TOO_MANY_REQUESTS';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST';
  }
}

/** The app's one error handler (`app.onError`). */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof XApiError) {
    return c.json({ errors: err.errors } satisfies XErrorBody, err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const message = err.message || (status === 413 ? 'Request body is too large' : 'Bad request');
    return c.json(
      { errors: [{ code: codeForStatus(status), message }] } satisfies XErrorBody,
      status,
    );
  }
  // Unexpected: log the name only (messages can carry input), answer without detail.
  log.error('unhandled error', { error: errorName(err) });
  return c.json(
    { errors: [{ code: 'INTERNAL_ERROR', message: 'Internal error' }] } satisfies XErrorBody,
    500,
  );
}

/** The app's `notFound` handler, in X's wording for an unknown route. */
export function handleNotFound(c: Context): Response {
  return c.json(
    {
      errors: [{ code: 'ROUTE_NOT_FOUND', message: 'The requested resource could not be found' }],
    } satisfies XErrorBody,
    404,
  );
}
