/**
 * The native error body, `{"detail", "type"}`: its schema documents it in /openapi.json, and
 * clients of a native server (the API runner, the remote runner) read it back as a typed error.
 */
import * as v from 'valibot'
import { errorFromType } from '../errors/from-wire.js'

export const ErrorResponse = v.object({
  detail: v.pipe(v.string(), v.description('What went wrong, safe to show a user.')),
  type: v.pipe(v.string(), v.description('A stable error type, e.g. `queue_full`.')),
  errors: v.optional(
    v.pipe(
      v.array(v.object({ field: v.string(), message: v.string() })),
      v.description('For validation errors: each field and its problem.')
    )
  ),
  reset_at: v.optional(v.pipe(v.string(), v.description('When a rate limit resets (ISO 8601).'))),
})

export type ErrorBody = v.InferOutput<typeof ErrorResponse>

/** Turns an HTTP error response (`{"detail","type"}`) into the typed error it stands for. */
export const errorFromResponse = async (response: Response) => {
  const body = (await response.json().catch(() => ({}))) as Partial<ErrorBody>
  const retryAfter = Number(response.headers.get('retry-after')) || undefined
  return errorFromType(body.type ?? 'upstream_error', body.detail ?? `HTTP ${response.status}`, {
    retryAfter,
    resetAt: body.reset_at ? new Date(body.reset_at) : undefined,
    errors: body.errors,
  })
}
