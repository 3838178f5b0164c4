/**
 * The native stream format, as the original sent it: `data: {"type": ...}` events with an `id:`
 * each: `start`, `chunk`s as text arrives, `tool_call` when the model calls one of the request's
 * tools, an optional summary event after the result, `error`
 * if the run fails once started, and `end` last; `: keep-alive` comments while nothing is due.
 */

import type { NativeResultEvent, NativeStreamEvent } from '../contract/native-events.js'
import type { RunResult } from '../contract/runner.js'
import { streamErrorOf } from '../http/dialect.js'
import { SSE_CONTENT_TYPE, sseComment, sseEvent } from '../http/sse.js'
import type { StreamEncoder } from '../http/stream-pipe.js'

export const createNativeEncoder = (
  /** An event sent after a successful result (e.g. the session id and usage). */
  resultEvent?: (result: RunResult) => NativeResultEvent
): StreamEncoder => {
  let id = 0
  const send = (data: NativeStreamEvent) => [sseEvent(JSON.stringify(data), { id: String(id++) })]
  return {
    contentType: SSE_CONTENT_TYPE,
    open: () => send({ type: 'start' }),
    event: (event) => {
      if (event.type === 'text_delta' && event.text)
        return send({ type: 'chunk', text: event.text })
      if (event.type === 'tool_use' && event.client) {
        return send({ type: 'tool_call', id: event.id, name: event.name, input: event.input })
      }
      if (event.type === 'result' && resultEvent) return send(resultEvent(event.result))
      return []
    },
    error: (error) => send(streamErrorOf('native', error)),
    close: () => send({ type: 'end' }),
    heartbeat: () => sseComment('keep-alive'),
  }
}
