/**
 * Request bodies: JSON only, parsed once, and validated by the valibot schemas (which also feed
 * OpenAPI). Failures are typed errors with the field names; the caller's input is never echoed.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { MiddlewareHandler } from 'hono'
import { validator } from 'hono-openapi'
import { BadRequestError, UnsupportedMediaTypeError, ValidationError } from '../errors/index.js'
import { DEFAULT_JSON_LIMITS, jsonShapeProblem } from '../lib/safe-json.js'

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

const failOn = (result: { success: boolean; error?: readonly StandardSchemaV1.Issue[] }) => {
  if (result.success) return
  const errors = (result.error ?? []).map((issue) => ({
    field: fieldOf(issue),
    message: describe(issue),
  }))
  throw new ValidationError(errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors })
}

export const jsonBody = <Schema extends StandardSchemaV1>(schema: Schema) =>
  validator('json', schema, failOn)

/** Query parameters, validated the same way (422 with the field names). */
export const queryParams = <Schema extends StandardSchemaV1>(schema: Schema) =>
  validator('query', schema, failOn)

const BODY_PROBLEMS = {
  too_deep: `JSON in the request body is nested deeper than ${DEFAULT_JSON_LIMITS.maxDepth} levels`,
  too_many_elements: `JSON in the request body has more than ${DEFAULT_JSON_LIMITS.maxElements} elements`,
}

/** POST endpoints that take no body (the SDKs send none). */
const TAKES_NO_BODY = /^\/v1\/responses\/[^/]+\/cancel$/

/**
 * POST bodies must be JSON (anything else would silently validate as `{}`), and within the
 * limits of safe-json.ts, checked before anything parses them. The validator that runs next
 * parses the text once (Hono caches it); malformed JSON is its 400, which the error handler
 * answers as `bad_request`.
 */
export const requireJson: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'POST' && !TAKES_NO_BODY.test(c.req.path)) {
    const type = c.req.header('content-type') ?? ''
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      throw new UnsupportedMediaTypeError(
        'Send the body as JSON with Content-Type: application/json'
      )
    }
    const problem = jsonShapeProblem(await c.req.text())
    if (problem) throw new BadRequestError(BODY_PROBLEMS[problem])
  }
  await next()
}
