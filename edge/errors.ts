/**
 * @module
 * Errors in X's own shape: `{"errors":[{"code","message","parameter"}]}`.
 * Routes throw `XApiError`; `http/error-handler.ts` turns it into a response.
 * Nothing here imports Hono, so the CLI reads X's answers with the same types.
 */

/** One entry of X's `errors` array. */
export interface XErrorItem {
  code: string;
  message: string;
  parameter?: string;
}

export interface XErrorBody {
  errors: XErrorItem[];
}

/** The statuses the edge answers errors with (each one carries a body). */
export type XErrorStatus =
  | 400
  | 401
  | 403
  | 404
  | 405
  | 409
  | 413
  | 415
  | 422
  | 429
  | 500
  | 502
  | 503
  | 504;

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

/** An error answer in X's shape, thrown at the HTTP boundary. */
export class XApiError extends Error {
  override readonly name = 'XApiError';
  readonly status: XErrorStatus;
  readonly errors: XErrorItem[];
  readonly headers: Record<string, string>;

  constructor(
    status: XErrorStatus,
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

/**
 * The most common error item: one bad parameter.
 *
 * @example
 * parameterError('events[0].email', 'Not an email address');
 * // { code: 'INVALID_PARAMETER', message: 'Not an email address', parameter: 'events[0].email' }
 */
export function parameterError(parameter: string, message: string): XErrorItem {
  return { code: 'INVALID_PARAMETER', message, parameter };
}

/** One bad parameter, thrown as a 400. */
export function invalidParameter(parameter: string, message: string): XApiError {
  return new XApiError(400, parameterError(parameter, message));
}
