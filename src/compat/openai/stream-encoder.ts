/**
 * Chat Completions streaming: `chat.completion.chunk` events (the role first, then content
 * deltas; a client tool call as OpenAI streams one: its index, id and name, then its arguments;
 * then `finish_reason`), an optional usage chunk, and `data: [DONE]`.
 */
import { streamErrorOf } from '../../http/dialect.js'
import { SSE_CONTENT_TYPE, sseComment, sseEvent } from '../../http/sse.js'
import type { StreamEncoder } from '../../http/stream-pipe.js'
import { completionId, finishReason, toolCallOf, usageOf } from './response.js'

export const createOpenAIEncoder = (model: string, includeUsage: boolean): StreamEncoder => {
  const base = {
    id: completionId(),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: null,
  }
  const send = (data: object) => sseEvent(JSON.stringify(data))
  const chunk = (delta: object, finish: string | null = null) =>
    send({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })
  let calls = 0
  return {
    contentType: SSE_CONTENT_TYPE,
    open: () => [chunk({ role: 'assistant', content: '' })],
    event: (event) => {
      if (event.type === 'text_delta' && event.text) return [chunk({ content: event.text })]
      if (event.type === 'thinking_delta' && event.text) {
        return [chunk({ reasoning_content: event.text })]
      }
      if (event.type === 'tool_use' && event.client) {
        const call = toolCallOf(event)
        const index = calls++
        return [
          chunk({
            tool_calls: [
              {
                index,
                id: call.id,
                type: 'function',
                function: { name: call.function.name, arguments: '' },
              },
            ],
          }),
          chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] }),
        ]
      }
      if (event.type !== 'result') return []
      return [
        chunk({}, finishReason(event.result)),
        ...(includeUsage ? [send({ ...base, choices: [], usage: usageOf(event.result) })] : []),
        sseEvent('[DONE]'),
      ]
    },
    error: (error) => [send(streamErrorOf('openai', error))],
    heartbeat: () => sseComment('keep-alive'),
  }
}
