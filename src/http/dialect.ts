/**
 * Which error shape a request expects: this API's own `{"detail","type"}`, OpenAI's
 * `{"error":{message,type,param,code}}` under /v1, or Anthropic's
 * `{"type":"error","error":{type,message}}` for /v1/messages (and any /v1 call made with an
 * `anthropic-version` header, as the Anthropic SDK sends). Status codes follow each API.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type Dialect = 'native' | 'openai' | 'anthropic'

export const dialectOf = (c: Context): Dialect => {
  const path = c.req.path
  if (!path.startsWith('/v1/')) return 'native'
  if (path.startsWith('/v1/messages') || c.req.header('anthropic-version')) return 'anthropic'
  return 'openai'
}

export type NativeError = {
  detail: string
  type: string
  errors?: Array<{ field: string; message: string }>
  reset_at?: string
}

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

/** The status and body of an error in the request's dialect. */
export const formatError = (
  dialect: Dialect,
  status: ContentfulStatusCode,
  error: NativeError
): { status: ContentfulStatusCode; body: object } => {
  if (dialect === 'native') return { status, body: error }
  // Both APIs answer a request they cannot accept with 400, not 422 (except our run limits).
  const validation = status === 422 && error.type === 'validation_error'
  const wireStatus = (validation || status === 415 ? 400 : status) as ContentfulStatusCode
  if (dialect === 'openai') {
    return {
      status: wireStatus,
      body: {
        error: {
          message: error.detail,
          type: openAIType(wireStatus),
          param: error.errors?.[0]?.field ?? null,
          code: error.type,
        },
      },
    }
  }
  const overloaded = error.type === 'overloaded'
  return {
    status: (overloaded ? 529 : wireStatus) as ContentfulStatusCode,
    body: {
      type: 'error',
      error: { type: anthropicType(wireStatus, error.type), message: error.detail },
    },
  }
}
