/** OpenAPI descriptions of the error responses the run endpoints share. */
import { resolver } from 'hono-openapi'
import { ErrorResponse } from './error-body.js'

export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: resolver(ErrorResponse) } },
})

export const runErrorResponses = {
  422: errorResponse('Invalid request, or the run hit max_turns / max_budget_usd / the schema'),
  429: errorResponse('Rate limited or at capacity; see Retry-After'),
  502: errorResponse('Upstream API or CLI protocol failure'),
  503: errorResponse('CLI missing, not logged in, or upstream overloaded'),
  504: errorResponse('Deadline exceeded'),
}
