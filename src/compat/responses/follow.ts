/**
 * A background response's event stream, for `stream: true` with `background: true` and for
 * `GET /v1/responses/{id}?stream=true&starting_after=N`: the kept events after N, then the new
 * ones as they come. A client that leaves stops following, never the run.
 */
import type { Context } from 'hono'
import { stream } from 'hono/streaming'
import type { AppEnv } from '../../http/env.js'
import { SSE_CONTENT_TYPE, sseComment, sseEvent } from '../../http/sse.js'
import type { BackgroundRuns } from './background.js'

export const followStream = (
  c: Context<AppEnv>,
  runs: BackgroundRuns,
  run: { id: string; owner: string },
  after: number,
  heartbeatMs: number
) => {
  c.header('content-type', SSE_CONTENT_TYPE)
  c.header('cache-control', 'no-cache')
  c.header('x-accel-buffering', 'no')
  return stream(c, async (out) => {
    const leaving = new AbortController()
    out.onAbort(() => leaving.abort())
    const heartbeat = setInterval(() => void out.write(sseComment('keep-alive')), heartbeatMs)
    try {
      for await (const event of runs.follow(run.id, run.owner, after, leaving.signal)) {
        await out.write(sseEvent(JSON.stringify(event), { event: event.type }))
      }
    } finally {
      clearInterval(heartbeat)
    }
  })
}

/** Keeps a Workers isolate alive for a run that outlives its request (no-op elsewhere). */
export const outliveRequest = (c: Context<AppEnv>, task: Promise<unknown>) => {
  try {
    c.executionCtx.waitUntil(task)
  } catch {
    // Not on Workers: the process lives on anyway.
  }
}
