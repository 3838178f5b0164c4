/**
 * The one stream pipe: a run's `RunEvent`s written to the client in any wire format (native SSE,
 * OpenAI chunks, Anthropic events, runner NDJSON) through a small per-format encoder. Starting,
 * keep-alives, client aborts, the error frame and cleanup live here once, and so does the
 * guarantee every format relies on: the answer's text arrives as `text_delta`s, or else (the CLI
 * sent none) as one delta holding the result's text, just before the `result`.
 */
import type { Context } from 'hono'
import { stream } from 'hono/streaming'
import type { RunEvent } from '../contract/runner.js'
import type { ClaudeError } from '../errors/index.js'
import type { AppEnv } from './env.js'
import { toClaudeError } from './errors.js'

/** Text ready to write: an SSE event, a comment, or an NDJSON line. */
export type Frame = string

export type StreamEncoder = {
  contentType: string
  /** Sent once the run is admitted, before its first event. */
  open?(): Frame[]
  event(event: RunEvent): Frame[]
  /** Sent when the run fails after the response began (not when the client left). */
  error(error: ClaudeError): Frame[]
  /** Sent last, after success or failure (not when the client left). */
  close?(): Frame[]
  /** Keeps proxies from closing a quiet stream. */
  heartbeat(): Frame
}

export type PipeOptions = {
  heartbeatMs: number
}

/** Passes events through, adding the result's text as a delta when no delta carried it. */
async function* withText(events: AsyncIterable<RunEvent>): AsyncGenerator<RunEvent> {
  let streamed = false
  for await (const event of events) {
    if (event.type === 'text_delta' && event.text) streamed = true
    if (event.type === 'result' && !streamed && event.result.text) {
      yield { type: 'text_delta', text: event.result.text }
    }
    yield event
  }
}

/**
 * Starts the run with a signal that fires when the client leaves, then streams it. The first
 * event (queued or started) is awaited before the response begins, so a run refused at once
 * (capacity, policy, a missing CLI) is an ordinary HTTP error, not a broken stream.
 */
export const pipeRun = async (
  c: Context<AppEnv>,
  start: (signal: AbortSignal) => AsyncIterable<RunEvent>,
  encoder: StreamEncoder,
  { heartbeatMs }: PipeOptions
) => {
  const controller = new AbortController()
  const signal = AbortSignal.any([c.req.raw.signal, controller.signal])
  const events = withText(start(signal))[Symbol.asyncIterator]()
  const first = await events.next()

  let finished!: () => void
  // The request log waits for this, so a stream is logged with its real duration and cost.
  c.set('streaming', new Promise<void>((resolve) => (finished = resolve)))
  c.header('content-type', encoder.contentType)
  c.header('cache-control', 'no-cache')
  c.header('x-accel-buffering', 'no')

  return stream(c, async (out) => {
    out.onAbort(() => controller.abort())
    const write = async (frames: Frame[] | undefined) => {
      for (const frame of frames ?? []) await out.write(frame)
    }
    const heartbeat = setInterval(() => void out.write(encoder.heartbeat()), heartbeatMs)
    try {
      await write(encoder.open?.())
      for (let step = first; !step.done; step = await events.next()) {
        await write(encoder.event(step.value))
      }
    } catch (error) {
      if (!signal.aborted) {
        const failure = toClaudeError(error)
        // The runner host's app logs no requests, and has no fields for it.
        const fields = c.var.logFields as AppEnv['Variables']['logFields'] | undefined
        if (fields) Object.assign(fields, { error_type: failure.type, upstream: failure.upstream })
        c.var.logger.debug('stream failed', { type: failure.type, error: failure.message })
        await write(encoder.error(failure)).catch(() => {})
      }
    } finally {
      clearInterval(heartbeat)
      await events.return?.(undefined)
      if (!signal.aborted) await write(encoder.close?.()).catch(() => {})
      finished()
    }
  })
}
