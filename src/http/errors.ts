/**
 * The app's one error handler: whatever was thrown becomes a `ClaudeError`, answered in the
 * request's dialect (see dialect.ts). Unexpected errors are logged and answered without details.
 */
import type { Context, ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import {
  BadRequestError,
  ClaudeError,
  isClaudeError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../errors/index.js'
import type { Logger } from '../lib/logger.js'
import { dialectOf, formatError } from './dialect.js'
import type { RequestLogFields } from './env.js'

/** Hono's own exceptions (raised inside its middleware) in our vocabulary. */
const fromHttpException = (error: HTTPException): ClaudeError => {
  const message = error.message || 'Request failed'
  switch (error.status) {
    case 400:
      return new BadRequestError(message)
    case 401:
      return new UnauthorizedError(message)
    case 404:
      return new NotFoundError(message)
    case 413:
      return new PayloadTooLargeError(message)
    case 415:
      return new UnsupportedMediaTypeError(message)
    default:
      return new ClaudeError('Internal server error', { cause: error })
  }
}

/** Any thrown value as a `ClaudeError`; anything unknown is an opaque internal error. */
export const toClaudeError = (error: unknown): ClaudeError => {
  if (isClaudeError(error)) return error
  if (error instanceof HTTPException) return fromHttpException(error)
  return new ClaudeError('Internal server error', { cause: error })
}

/** Answers an error in the request's dialect. */
export const respondWithError = (c: Context, error: ClaudeError) => {
  const { status, body, headers } = formatError(dialectOf(c), error)
  return c.json(body, status, headers)
}

export const createErrorHandler =
  (logger: Logger): ErrorHandler =>
  (thrown, c) => {
    const error = toClaudeError(thrown)
    const fields = c.var.logFields as RequestLogFields | undefined
    if (fields) Object.assign(fields, { error_type: error.type, upstream: error.upstream })
    if (error.type === 'internal_error') {
      const cause = isClaudeError(thrown) ? thrown.cause : thrown
      logger.error('unhandled error', {
        error: cause instanceof Error ? cause.message : String(cause ?? thrown),
        stack: cause instanceof Error ? cause.stack : undefined,
      })
    }
    return respondWithError(c, error)
  }
