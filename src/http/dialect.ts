/**
 * The one place where a `ClaudeError` becomes what a client reads, in each API's own shape, as a
 * response or inside a stream:
 * - native (`/llm/*`, `/admin/*`): `{"detail","type"}`; in a stream, an `error` event with
 *   `message` and `error_type`;
 * - runner (the runner protocol, `/runner/*`): native bodies; in a stream, an `error` line with
 *   `{type, message, retry_after}`, from which the remote runner rebuilds the typed error;
 * - OpenAI (`/v1/*`): `{"error":{message,type,param,code}}`;
 * - Anthropic (`/v1/messages`, or any `/v1` call with an `anthropic-version` header, as the
 *   Anthropic SDK sends): `{"type":"error","error":{type,message}}`.
 * Status codes follow each API.
 */

import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { NativeErrorEvent } from '../contract/native-events.js'
import type { WireError } from '../contract/runner-protocol.js'
import { type ClaudeError, RateLimitedError, ValidationError } from '../errors/index.js'
import type { ErrorBody } from './error-body.js'

export type Dialect = 'native' | 'runner' | 'openai' | 'anthropic'

export const dialectOf = (c: Context): Dialect => {
  const path = c.req.path
  if (path.startsWith('/runner/')) return 'runner'
  if (!path.startsWith('/v1/')) return 'native'
  if (path.startsWith('/v1/messages') || c.req.header('anthropic-version')) return 'anthropic'
  return 'openai'
}

export const toErrorBody = (error: ClaudeError): ErrorBody => ({
  detail: error.message,
  type: error.type,
  ...(error instanceof ValidationError && error.errors.length > 0 && { errors: error.errors }),
  ...(error instanceof RateLimitedError &&
    error.resetAt && { reset_at: error.resetAt.toISOString() }),
})

const openAIType = (status: number) => {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 429) return 'rate_limit_error'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

const anthropicType = (status: number, type: string) => {
  if (type === 'overloaded') return 'overloaded_error'
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 413) return 'request_too_large'
  if (status === 429) return 'rate_limit_error'
  if (status >= 500) return 'api_error'
  return 'invalid_request_error'
}

/** The HTTP status of an error in a dialect. */
const statusOf = (dialect: Dialect, error: ClaudeError): ContentfulStatusCode => {
  // 499 (client gone) has no standard reason phrase; nobody is listening anyway.
  const status = error.status === 499 ? 400 : error.status
  if (dialect === 'native' || dialect === 'runner') return status as ContentfulStatusCode
  if (dialect === 'anthropic' && error.type === 'overloaded') return 529 as ContentfulStatusCode
  // Both APIs answer a request they cannot accept with 400, not 422 (except our run limits).
  return (
    error.type === 'validation_error' || status === 415 ? 400 : status
  ) as ContentfulStatusCode
}

/** The body of an error in a dialect; streams send the same body as an event. */
const bodyOf = (dialect: Dialect, error: ClaudeError, status: number): object => {
  const body = toErrorBody(error)
  if (dialect === 'native' || dialect === 'runner') return body
  if (dialect === 'openai') {
    return {
      error: {
        message: body.detail,
        type: openAIType(status),
        param: body.errors?.[0]?.field ?? null,
        code: body.type,
      },
    }
  }
  return {
    type: 'error',
    error: {
      type: anthropicType(status, body.type),
      message: body.detail,
      ...(error.details && { details: error.details }),
    },
  }
}

export type FormattedError = {
  status: ContentfulStatusCode
  body: object
  headers: Record<string, string>
}

export const formatError = (dialect: Dialect, error: ClaudeError): FormattedError => {
  const status = statusOf(dialect, error)
  const headers: Record<string, string> = {}
  if (error.status === 401) headers['WWW-Authenticate'] = 'Bearer'
  if (error.retryAfter) headers['Retry-After'] = String(error.retryAfter)
  return { status, body: bodyOf(dialect, error, status), headers }
}

/**
 * What a stream carries when its run fails after the response began; a retryable failure says
 * when to try again (`retry_after`, seconds), as its Retry-After header would have.
 */
export function streamErrorOf(dialect: 'native', error: ClaudeError): NativeErrorEvent
export function streamErrorOf(dialect: 'runner', error: ClaudeError): WireError
export function streamErrorOf(dialect: Dialect, error: ClaudeError): object
export function streamErrorOf(dialect: Dialect, error: ClaudeError): object {
  const retry = error.retryAfter ? { retry_after: error.retryAfter } : {}
  if (dialect === 'native') {
    const event: NativeErrorEvent = {
      type: 'error',
      message: error.message,
      error_type: error.type,
      ...retry,
    }
    return event
  }
  if (dialect === 'runner') {
    const line: WireError = {
      type: 'error',
      error: {
        type: error.type,
        message: error.message,
        ...(error.retryAfter && { retry_after: error.retryAfter }),
        ...(error.billed && { billed: error.billed }),
      },
    }
    return line
  }
  const body = formatError(dialect, error).body as { error: object }
  return { ...body, error: { ...body.error, ...retry } }
}
