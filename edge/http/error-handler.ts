/**
 * @module
 * The app's one `onError` and `notFound`: an `XApiError` (and anything
 * unexpected) becomes an answer in X's error shape, so no stack trace or
 * secret reaches a caller.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { XApiError, type XErrorBody } from '../errors.ts';
import { errorName, log } from '../log.ts';

/** Error code X uses for each status Hono's own exceptions carry. */
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
