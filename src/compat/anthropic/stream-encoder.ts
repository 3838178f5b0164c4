/**
 * The Messages API's event stream: `message_start`, a `ping`, one text block
 * (`content_block_start`, `content_block_delta`s, `content_block_stop`), `message_delta` with the
 * stop reason and usage, `message_stop`; `ping`s keep a quiet stream open, as the real API does.
 */
import { streamErrorOf } from '../../http/dialect.js'
import { SSE_CONTENT_TYPE, sseEvent } from '../../http/sse.js'
import type { Frame, StreamEncoder } from '../../http/stream-pipe.js'
import { messageBody, usageOf } from './response.js'

export const createAnthropicEncoder = (model: string): StreamEncoder => {
  const send = (event: string, data: object = {}) =>
    sseEvent(JSON.stringify({ type: event, ...data }), { event })
  let blockOpen = false
  const openBlock = (): Frame[] => {
    if (blockOpen) return []
    blockOpen = true
    return [send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })]
  }
  return {
    contentType: SSE_CONTENT_TYPE,
    open: () => [send('message_start', { message: messageBody(model, null) }), send('ping')],
    event: (event) => {
      if (event.type === 'text_delta' && event.text) {
        return [
          ...openBlock(),
          send('content_block_delta', {
            index: 0,
            delta: { type: 'text_delta', text: event.text },
          }),
        ]
      }
      if (event.type !== 'result') return []
      return [
        ...openBlock(),
        send('content_block_stop', { index: 0 }),
        send('message_delta', {
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: usageOf(event.result),
        }),
        send('message_stop'),
      ]
    },
    error: (error) => [
      sseEvent(JSON.stringify(streamErrorOf('anthropic', error)), { event: 'error' }),
    ],
    heartbeat: () => send('ping'),
  }
}
