/**
 * Errors that reach an API client or a CLI user. Each has a stable `code` (documented in
 * docs/api.md) that becomes the problem+json `type` (RFC 9457) and the CLI's message prefix.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(400, code, message, details);
export const unauthorized = (message = 'authentication required') =>
  new AppError(401, 'unauthenticated', message);
export const forbidden = (message = 'your organisation or role may not do this') =>
  new AppError(403, 'forbidden', message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);

export const PROBLEM_BASE = 'https://interdict.dev/problems/';
