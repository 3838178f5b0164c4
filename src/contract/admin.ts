/** What `/admin/status` answers (the dashboard and `claude-code-api status --url` read it). */
import * as v from 'valibot'
import { StatusResponse } from './run.js'

export const LiveRun = v.object({
  id: v.string(),
  key: v.pipe(v.string(), v.description("The key's name (or the first 8 characters of its hash).")),
  model: v.string(),
  state: v.picklist(['queued', 'running']),
  since: v.pipe(v.string(), v.description('When the run was asked for (ISO 8601).')),
})
export type LiveRun = v.InferOutput<typeof LiveRun>

export const RecentError = v.object({
  type: v.string(),
  key: v.string(),
  at: v.string(),
  /** The failed request's trace, when it was traced (or came with a `traceparent`). */
  trace_id: v.optional(v.string()),
})
export type RecentError = v.InferOutput<typeof RecentError>

export const AdminStatusResponse = v.object({
  status: StatusResponse,
  runs: v.pipe(v.array(LiveRun), v.description('The runs in flight in this server process.')),
  shares: v.pipe(v.record(v.string(), v.number()), v.description('Runs in flight per key name.')),
  errors: v.object({
    by_type: v.pipe(
      v.record(v.string(), v.number()),
      v.description('Runs that failed in the last hour, by error type.')
    ),
    latest: v.array(RecentError),
  }),
})
