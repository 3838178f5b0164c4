/**
 * The one place where failures become HTTP responses: `{"detail": "...", "type": "..."}` with
 * the right status and Retry-After. Unexpected errors are logged and answered without details.
 */
import type { Context, ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { type ClaudeError, isClaudeError, RateLimitedError } from '../errors.js'
import type { Logger } from '../lib/logger.js'
import { dialectOf, formatError } from './dialect.js'

export type ErrorBody = {
  detail: string
  type: string
  /** When a rate limit resets, if known (ISO 8601). */
  reset_at?: string
  errors?: Array<{ field: string; message: string }>
}

const HTTP_TYPES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_error',
  429: 'rate_limited',
}

/** An error response, in the shape the request's API expects (see compat/dialect.ts). */
export const errorJson = (
  c: Context,
  status: ContentfulStatusCode,
  body: ErrorBody,
  headers?: Record<string, string>
) => {
  const formatted = formatError(dialectOf(c), status, body)
  return c.json(formatted.body, formatted.status, headers)
}

const errorHeaders = (error: ClaudeError): Record<string, string> | undefined => {
  if (error.status === 401) return { 'WWW-Authenticate': 'Bearer' }
  return error.retryAfter ? { 'Retry-After': String(error.retryAfter) } : undefined
}

/** A message that is safe to show a client for any thrown value. */
export const publicMessage = (error: unknown) =>
  isClaudeError(error) ? error.message : 'Internal server error'

export const createErrorHandler =
  (logger: Logger): ErrorHandler =>
  (error, c) => {
    if (isClaudeError(error)) {
      // 499 (client gone) has no standard reason phrase; nobody is listening anyway.
      const status = (error.status === 499 ? 400 : error.status) as ContentfulStatusCode
      const body: ErrorBody = { detail: error.message, type: error.type }
      if (error instanceof RateLimitedError && error.resetAt) {
        body.reset_at = error.resetAt.toISOString()
      }
      return errorJson(c, status, body, errorHeaders(error))
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode
      const detail =
        status === 400 && /json/i.test(error.message)
          ? 'Malformed JSON in request body'
          : error.message || 'Request failed'
      return errorJson(c, status, { detail, type: HTTP_TYPES[status] ?? 'http_error' })
    }
    logger.error('unhandled error', {
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    })
    return errorJson(c, 500, { detail: 'Internal server error', type: 'internal_error' })
  }
