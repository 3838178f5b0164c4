/**
 * Request validation from the valibot schemas (which also feed OpenAPI). Failures are 422 with
 * the field names; the caller's input is never echoed back.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { MiddlewareHandler } from 'hono'
import { validator } from 'hono-openapi'
import { errorJson } from './errors.js'

const fieldOf = (issue: StandardSchemaV1.Issue) =>
  (issue.path ?? [])
    .map((segment) => (typeof segment === 'object' ? segment.key : segment))
    .map(String)
    .join('.') || '(body)'

const describe = (issue: StandardSchemaV1.Issue) => {
  // valibot says "Invalid type: Expected string but received undefined" for a missing field.
  if (/received undefined$/.test(issue.message)) return 'is required'
  // Drop valibot's "but received …": error bodies never echo the caller's input.
  return issue.message.replace(/^Invalid \w+: /, '').replace(/ but received .*$/s, '')
}

export const jsonBody = <Schema extends StandardSchemaV1>(schema: Schema) =>
  validator('json', schema, (result, c) => {
    if (result.success) return
    const errors = result.error.map((issue) => ({
      field: fieldOf(issue),
      message: describe(issue),
    }))
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ')
    return errorJson(c, 422, { detail, type: 'validation_error', errors })
  })

/** POST bodies must be JSON; anything else would silently validate as `{}`. */
export const requireJson: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? ''
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      return errorJson(c, 415, {
        detail: 'Send the body as JSON with Content-Type: application/json',
        type: 'unsupported_media_type',
      })
    }
  }
  await next()
}
