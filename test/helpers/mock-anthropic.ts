/**
 * The project's own mock of the Anthropic Messages API, enough for the real Claude Code CLI:
 * SSE text answers, tool calls, error statuses, hangs and stalls. Every request is kept so tests
 * can assert what reached the model.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type MockReply =
  | {
      kind: 'text'
      text: string
      /** Split the text into this many deltas. */
      chunks?: number
      /** Wait before the first byte. */
      delayMs?: number
      /** Wait between deltas. */
      intervalMs?: number
      /** Extra response headers (e.g. `anthropic-ratelimit-unified-*`). */
      headers?: Record<string, string>
    }
  | {
      kind: 'tool'
      name: string
      input: unknown
      text?: string
      /** More calls in the same message (parallel tool use). */
      more?: Array<{ name: string; input: unknown }>
    }
  | {
      kind: 'error'
      status: number
      type?: string
      message?: string
      headers?: Record<string, string>
    }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Send the headers and `message_start`, then nothing. */
  | { kind: 'stall' }

export type MockRequest = {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: MessagesBody
  /** When it arrived (ms since the epoch), to order requests across mocks. */
  at: number
}

export type MessagesBody = {
  model?: string
  stream?: boolean
  system?: Array<{ type: string; text: string }> | string
  tools?: Array<{ name: string; input_schema?: unknown }>
  messages?: Array<{ role: string; content: unknown }>
  [key: string]: unknown
}

export type MockHandler = (request: MockRequest) => MockReply

export type MockAnthropic = {
  url: string
  requests: MockRequest[]
  /** Messages API calls only (the CLI's `POST /v1/messages`). */
  messageRequests(): MockRequest[]
  setHandler(handler: MockHandler): void
  reset(): void
  close(): Promise<void>
}

/** The last message whose role is `user` (the CLI also sends `role: "system"` entries). */
export const lastUserMessage = (body: MessagesBody) =>
  [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')

/** The prompt text of a user message: the string, or its last text block. */
export const userText = (message: { content: unknown } | undefined): string => {
  if (!message) return ''
  if (typeof message.content === 'string') return message.content
  if (Array.isArray(message.content)) {
    const texts = message.content.filter(
      (b): b is { type: 'text'; text: string } => b?.type === 'text'
    )
    return texts.at(-1)?.text ?? ''
  }
  return ''
}

export const systemText = (body: MessagesBody): string =>
  typeof body.system === 'string'
    ? body.system
    : (body.system ?? []).map((block) => block.text).join('\n')

const hasStructuredOutputResult = (body: MessagesBody) => {
  const last = lastUserMessage(body)
  return (
    Array.isArray(last?.content) &&
    last.content.some((b: { type?: string }) => b?.type === 'tool_result')
  )
}

/** Echoes the prompt; answers `StructuredOutput` with `{"answer":4}` when a schema is in play. */
export const defaultHandler: MockHandler = (request) => {
  const tools = request.body.tools ?? []
  if (
    tools.some((t) => t.name === 'StructuredOutput') &&
    !hasStructuredOutputResult(request.body)
  ) {
    return { kind: 'tool', name: 'StructuredOutput', input: { answer: 4 } }
  }
  return { kind: 'text', text: `ECHO: ${userText(lastUserMessage(request.body))}` }
}

// Unref'd: a delayed reply to a client that left must not keep the test process alive.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref())

let counter = 0
const nextId = (prefix: string) => `${prefix}_mock_${(++counter).toString(16).padStart(12, '0')}`

const estimateInputTokens = (raw: string) => Math.max(1, Math.round(raw.length / 4))

export const startMockAnthropic = async (): Promise<MockAnthropic> => {
  const requests: MockRequest[] = []
  let handler: MockHandler = defaultHandler

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: MessagesBody = {}
      try {
        body = raw ? (JSON.parse(raw) as MessagesBody) : {}
      } catch {
        body = {}
      }
      const request: MockRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        at: Date.now(),
      }
      if (request.path.startsWith('/_mock/')) {
        control(request, res)
        return
      }
      requests.push(request)
      if (request.method !== 'POST' || !request.path.startsWith('/v1/messages')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{}')
        return
      }
      void answer(req, res, handler(request), body, raw).catch(() => res.destroy())
    })
  })

  /**
   * Remote control, for tests that cannot call this object (e.g. inside workerd):
   * POST /_mock/reply (a MockReply for every following request), POST /_mock/reset,
   * GET /_mock/requests (the Messages API requests so far).
   */
  const control = (request: MockRequest, res: ServerResponse) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (request.method === 'POST' && request.path === '/_mock/reply') {
      const reply = request.body as unknown as MockReply
      handler = () => reply
      return json(200, { ok: true })
    }
    if (request.method === 'POST' && request.path === '/_mock/reset') {
      handler = defaultHandler
      requests.length = 0
      return json(200, { ok: true })
    }
    if (request.method === 'GET' && request.path === '/_mock/requests') {
      return json(
        200,
        requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/messages'))
      )
    }
    json(404, { error: 'unknown control path' })
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messageRequests: () =>
      requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/messages')),
    setHandler: (h) => {
      handler = h
    },
    reset: () => {
      handler = defaultHandler
      requests.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const answer = async (
  _req: IncomingMessage,
  res: ServerResponse,
  reply: MockReply,
  body: MessagesBody,
  raw: string
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

  const model = body.model ?? 'claude-mock'
  const messageId = nextId('msg')
  const usage = {
    input_tokens: estimateInputTokens(raw),
    output_tokens: 1,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  }

  if (body.stream === false) {
    const content =
      reply.kind === 'tool'
        ? [{ type: 'tool_use', id: nextId('toolu'), name: reply.name, input: reply.input }]
        : [{ type: 'text', text: reply.kind === 'text' ? reply.text : '' }]
    const extra = reply.kind === 'text' ? reply.headers : undefined
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId, ...extra })
    res.end(
      JSON.stringify({
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: reply.kind === 'tool' ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: { ...usage, output_tokens: 2 },
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
  const text = reply.kind === 'text' ? reply.text : reply.text
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
    delta: { stop_reason: reply.kind === 'tool' ? 'tool_use' : 'end_turn', stop_sequence: null },
    usage: { output_tokens: 2 },
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
