/**
 * A run as Server-Sent Events, in the original's format: `data: {"type": ...}` events with an
 * `id:` each: `start`, `chunk`s as text arrives, `error` if the run fails once started, and
 * `end` last; `: keep-alive` comments while nothing is due. Failures before the first event are
 * thrown, so they become ordinary HTTP errors.
 */
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { AppEnv } from '../http/env.js'
import { publicMessage } from '../http/errors.js'
import { startRunStream } from '../http/run-stream.js'
import type { RunEvent, RunRequest, RunResult } from '../runner.js'

export type SseRunOptions = {
  heartbeatMs: number
  /** Extra event sent before `end` on success (e.g. the session id and usage). */
  resultEvent?: (result: RunResult) => object
}

export const streamRun = async (
  c: Context<AppEnv>,
  request: RunRequest,
  { heartbeatMs, resultEvent }: SseRunOptions
) => {
  const { controller, signal, events, first } = await startRunStream(c, c.var.runner, request)
  c.header('X-Accel-Buffering', 'no')
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => controller.abort())
    let id = 0
    const send = (data: object) => stream.writeSSE({ id: String(id++), data: JSON.stringify(data) })
    const heartbeat = setInterval(() => void stream.write(': keep-alive\n\n'), heartbeatMs)
    let streamed = false
    try {
      await send({ type: 'start' })
      for (let step = first; !step.done; step = await events.next()) {
        const event: RunEvent = step.value
        if (event.type === 'text_delta' && event.text) {
          streamed = true
          await send({ type: 'chunk', text: event.text })
        } else if (event.type === 'result') {
          if (!streamed && event.result.text) await send({ type: 'chunk', text: event.result.text })
          if (resultEvent) await send(resultEvent(event.result))
        }
      }
    } catch (error) {
      if (!signal.aborted) {
        c.var.logger.debug('stream failed', { error: publicMessage(error) })
        await send({
          type: 'error',
          message: publicMessage(error),
          error_type: (error as { type?: string }).type ?? 'internal_error',
        })
      }
    } finally {
      clearInterval(heartbeat)
      await events.return?.()
      if (!signal.aborted) await send({ type: 'end' })
    }
  })
}
