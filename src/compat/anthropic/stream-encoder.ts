/**
 * The Messages API's event stream: `message_start`, a `ping`, then the content blocks in order
 * (thinking as `thinking_delta`s ended by a `signature_delta`; text as `text_delta`s; a client tool call as a `tool_use` block whose input arrives as
 * `input_json_delta`), each with `content_block_start` and `content_block_stop`; `message_delta`
 * with the stop reason and usage, `message_stop`; `ping`s keep a quiet stream open, as the real
 * API does.
 */

import type { RunEvent } from '../../contract/runner.js'
import { streamErrorOf } from '../../http/dialect.js'
import { SSE_CONTENT_TYPE, sseEvent } from '../../http/sse.js'
import type { Frame, StreamEncoder } from '../../http/stream-pipe.js'
import { messageBody, stopReason, usageOf } from './response.js'

export const createAnthropicEncoder = (model: string, id: string): StreamEncoder => {
  const send = (event: string, data: object = {}) =>
    sseEvent(JSON.stringify({ type: event, ...data }), { event })
  /** Blocks started so far; the text block open now, if any. */
  let blocks = 0
  let openText: number | undefined
  const closeText = (): Frame[] => {
    if (openText === undefined) return []
    const index = openText
    openText = undefined
    return [send('content_block_stop', { index })]
  }
  const textBlock = (): { index: number; frames: Frame[] } => {
    if (openText !== undefined) return { index: openText, frames: [] }
    openText = blocks++
    const start = send('content_block_start', {
      index: openText,
      content_block: { type: 'text', text: '' },
    })
    return { index: openText, frames: [start] }
  }
  /** The thinking block open now, if any: it ends with its signature. */
  let openThinking: number | undefined
  const thinking = (
    event: Extract<RunEvent, { type: 'thinking_delta' | 'thinking_signature' }>
  ): Frame[] => {
    const frames = openThinking === undefined ? closeText() : []
    if (openThinking === undefined) {
      openThinking = blocks++
      frames.push(
        send('content_block_start', {
          index: openThinking,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        })
      )
    }
    const index = openThinking
    if (event.type === 'thinking_delta') {
      frames.push(
        send('content_block_delta', {
          index,
          delta: { type: 'thinking_delta', thinking: event.text },
        })
      )
      return frames
    }
    openThinking = undefined
    frames.push(
      send('content_block_delta', {
        index,
        delta: { type: 'signature_delta', signature: event.signature },
      }),
      send('content_block_stop', { index })
    )
    return frames
  }
  return {
    contentType: SSE_CONTENT_TYPE,
    open: () => [send('message_start', { message: messageBody(model, null, id) }), send('ping')],
    event: (event) => {
      if (event.type === 'thinking_delta' || event.type === 'thinking_signature') {
        return thinking(event)
      }
      if (event.type === 'text_delta' && event.text) {
        const { index, frames } = textBlock()
        return [
          ...frames,
          send('content_block_delta', { index, delta: { type: 'text_delta', text: event.text } }),
        ]
      }
      if (event.type === 'tool_use' && event.client) {
        const index = blocks++
        return [
          ...closeText(),
          send('content_block_start', {
            index,
            content_block: { type: 'tool_use', id: event.id, name: event.name, input: {} },
          }),
          send('content_block_delta', {
            index,
            delta: { type: 'input_json_delta', partial_json: JSON.stringify(event.input ?? {}) },
          }),
          send('content_block_stop', { index }),
        ]
      }
      if (event.type !== 'result') return []
      // A message always has a block: an empty text one when nothing else came.
      const empty = blocks === 0 ? textBlock().frames : []
      return [
        ...empty,
        ...closeText(),
        send('message_delta', {
          delta: {
            stop_reason: stopReason(event.result),
            stop_sequence: event.result.stopSequence ?? null,
          },
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
