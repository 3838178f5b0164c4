/**
 * Starts a run for a streaming response. The run stops when the client disconnects (the
 * request's signal) or when the handler aborts `controller` (e.g. from `stream.onAbort`).
 * The first event arrives at once (queued or started), so failures before it are thrown here
 * and become ordinary HTTP errors instead of a broken stream.
 */
import type { Context } from 'hono'
import type { ClaudeRunner, RunRequest } from '../runner.js'

export const startRunStream = async (c: Context, runner: ClaudeRunner, request: RunRequest) => {
  const controller = new AbortController()
  const signal = AbortSignal.any([c.req.raw.signal, controller.signal])
  const events = runner.run(request, { signal })[Symbol.asyncIterator]()
  const first = await events.next()
  return { controller, signal, events, first }
}
