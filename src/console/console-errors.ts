/**
 * Errors the console API answers with. Each has a stable `code` (clients and tests match on it, never on the
 * wording) and the HTTP status it maps to; the console's error handler turns them into `{ error, code }`.
 */
export class ConsoleError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly statusCode: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends ConsoleError {
  constructor(message = 'sign in first') {
    super(message, 'CONSOLE_ERR_UNAUTHENTICATED', 401);
  }
}

export class ForbiddenError extends ConsoleError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'CONSOLE_ERR_FORBIDDEN', 403, details);
  }
}

export class CsrfError extends ConsoleError {
  constructor() {
    super('missing or wrong CSRF token: reload the page and try again', 'CONSOLE_ERR_CSRF', 403);
  }
}

export class NotFoundError extends ConsoleError {
  constructor(kind: string, id: number | string) {
    super(`${kind} ${id} not found`, 'CONSOLE_ERR_NOT_FOUND', 404, { kind, id });
  }
}

export class InvalidInputError extends ConsoleError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'CONSOLE_ERR_INVALID', 400, details);
  }
}

/** A state change that lost a race or does not fit the current state (claimed by someone else, already resolved). */
export class ConflictError extends ConsoleError {
  constructor(message: string, code: string, details: Record<string, unknown> = {}) {
    super(message, code, 409, details);
  }
}

export class TooManyAttemptsError extends ConsoleError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `too many failed sign-in attempts; try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s)`,
      'CONSOLE_ERR_LOCKED_OUT',
      429,
      { retryAfterSeconds },
    );
  }
}
