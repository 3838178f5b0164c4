/**
 * Writes a reply as the Messages API would: a JSON message, or the SSE event sequence
 * (`message_start`, content blocks with their deltas, `message_delta`, `message_stop`).
 */
import type { ServerResponse } from 'node:http'
import { honour, invalidContent } from './honour.js'
import type { createPromptCache } from './prompt-cache.js'
import {
  lastUserMessage,
  type MessagesBody,
  type MockReply,
  type MockRequest,
  userText,
} from './replies.js'

// Unref'd: a delayed reply to a client that left must not keep the test process alive.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref())

let counter = 0
const nextId = (prefix: string) => `${prefix}_mock_${(++counter).toString(16).padStart(12, '0')}`

const estimateInputTokens = (raw: string) => Math.max(1, Math.round(raw.length / 4))

export const answer = async (
  res: ServerResponse,
  reply: MockReply,
  body: MessagesBody,
  raw: string,
  cache: ReturnType<typeof createPromptCache>,
  onUsage?: (usage: NonNullable<MockRequest['usage']>) => void
) => {
  const requestId = nextId('req')
  if (reply.kind === 'hang') return
  if (reply.kind === 'error') {
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'request-id': requestId,
      ...reply.headers,
    })
    res.end(
      JSON.stringify({
        type: 'error',
        error: { type: reply.type ?? 'api_error', message: reply.message ?? 'mock error' },
        request_id: requestId,
      })
    )
    return
  }

  const invalid = invalidContent(body)
  if (invalid) {
    res.writeHead(400, { 'content-type': 'application/json', 'request-id': requestId })
    res.end(
      JSON.stringify({
        type: 'error',
        error: { type: 'invalid_request_error', message: invalid },
        request_id: requestId,
      })
    )
    return
  }
  const said = reply.kind === 'text' || reply.kind === 'tool' ? reply.text : undefined
  const honoured = honour(body, said, userText(lastUserMessage(body)), reply.kind === 'tool')
  const outputTokens = honoured.outputTokens ?? 2
  const model = body.model ?? 'claude-mock'
  const messageId = nextId('msg')
  const usage = { ...cache.use(body, estimateInputTokens(raw)), output_tokens: 1 }
  onUsage?.({ ...usage, output_tokens: outputTokens })

  if (body.stream === false) {
    const content = [
      ...(honoured.thinking ? [{ type: 'thinking', ...honoured.thinking }] : []),
      ...(reply.kind === 'tool'
        ? [{ type: 'tool_use', id: nextId('toolu'), name: reply.name, input: reply.input }]
        : [{ type: 'text', text: honoured.text ?? '' }]),
    ]
    const extra = reply.kind === 'text' ? reply.headers : undefined
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId, ...extra })
    res.end(
      JSON.stringify({
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: honoured.stopReason,
        stop_sequence: honoured.stopSequence,
        usage: { ...usage, output_tokens: outputTokens },
      })
    )
    return
  }

  if (reply.kind === 'text' && reply.delayMs) await sleep(reply.delayMs)
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': requestId,
    ...(reply.kind === 'text' && reply.headers),
  })
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)

  send('message_start', {
    type: 'message_start',
    message: {
      id: messageId,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  })
  if (reply.kind === 'stall') return

  let index = 0
  if (honoured.thinking) {
    const { thinking, signature } = honoured.thinking
    send('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'thinking', thinking: '', signature: '' },
    })
    send('content_block_delta', {
      type: 'content_block_delta',
      index,
      delta: { type: 'thinking_delta', thinking },
    })
    send('content_block_delta', {
      type: 'content_block_delta',
      index,
      delta: { type: 'signature_delta', signature },
    })
    send('content_block_stop', { type: 'content_block_stop', index })
    index++
  }
  const text = honoured.text
  if (text !== undefined) {
    send('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'text', text: '' },
    })
    send('ping', { type: 'ping' })
    const parts = reply.kind === 'text' ? splitText(text, reply.chunks ?? 1) : [text]
    for (const [i, part] of parts.entries()) {
      if (i > 0 && reply.kind === 'text' && reply.intervalMs) await sleep(reply.intervalMs)
      if (res.destroyed) return
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text: part },
      })
    }
    send('content_block_stop', { type: 'content_block_stop', index })
    index++
  }
  if (reply.kind === 'tool') {
    for (const call of [{ name: reply.name, input: reply.input }, ...(reply.more ?? [])]) {
      send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: nextId('toolu'), name: call.name, input: {} },
      })
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(call.input) },
      })
      send('content_block_stop', { type: 'content_block_stop', index })
      index++
    }
  }
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: honoured.stopReason, stop_sequence: honoured.stopSequence },
    usage: { output_tokens: outputTokens },
  })
  send('message_stop', { type: 'message_stop' })
  res.end()
}

const splitText = (text: string, chunks: number): string[] => {
  if (chunks <= 1 || text.length <= 1) return [text]
  const size = Math.ceil(text.length / chunks)
  const parts: string[] = []
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size))
  return parts
}
