/** The native error body, `{"detail", "type"}`: its schema documents it in /openapi.json. */
import * as v from 'valibot'

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
