/**
 * The project's own mock of the Anthropic Messages API, enough for the real Claude Code CLI:
 * SSE text answers, tool calls, error statuses, hangs and stalls. Every request is kept so tests
 * can assert what reached the model.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import { answer } from './answer.js'
import { createPromptCache } from './prompt-cache.js'
import {
  defaultHandler,
  type MessagesBody,
  type MockHandler,
  type MockReply,
  type MockRequest,
} from './replies.js'

export * from './replies.js'

export type MockAnthropic = {
  url: string
  requests: MockRequest[]
  /** Messages API calls only (the CLI's `POST /v1/messages`). */
  messageRequests(): MockRequest[]
  setHandler(handler: MockHandler): void
  /** Requests refused for a credential other than `token` (see startMockAnthropic). */
  refused: MockRequest[]
  /** Called once each Messages API answer has been written out (until the next reset). */
  afterAnswer(hook: ((request: MockRequest) => void) | undefined): void
  /** Called once each Messages API request is over: answered, or its connection gone. */
  afterEnd(hook: ((request: MockRequest) => void) | undefined): void
  reset(): void
  close(): Promise<void>
}

/** `token`: the one credential accepted (`Bearer` or `x-api-key`); any other is a 401, kept in `refused`. */
export const startMockAnthropic = async (
  options: { token?: string } = {}
): Promise<MockAnthropic> => {
  const requests: MockRequest[] = []
  const refused: MockRequest[] = []
  let handler: MockHandler = defaultHandler
  let answered: ((request: MockRequest) => void) | undefined
  let ended: ((request: MockRequest) => void) | undefined
  const cache = createPromptCache()

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
      const credential =
        req.headers['x-api-key'] ?? String(req.headers.authorization ?? '').replace(/^Bearer /, '')
      if (options.token !== undefined && credential !== options.token) {
        refused.push(request)
        res.writeHead(401, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            type: 'error',
            error: { type: 'authentication_error', message: 'invalid x-api-key' },
          })
        )
        return
      }
      requests.push(request)
      if (request.method !== 'POST' || !request.path.startsWith('/v1/messages')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{}')
        return
      }
      const record = (usage: NonNullable<MockRequest['usage']>) => {
        request.usage = usage
      }
      res.on('finish', () => answered?.(request))
      res.on('close', () => ended?.(request))
      void answer(res, handler(request), body, raw, cache, record).catch(() => res.destroy())
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
      cache.clear()
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
    refused,
    messageRequests: () =>
      requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/messages')),
    setHandler: (h) => {
      handler = h
    },
    afterAnswer: (hook) => {
      answered = hook
    },
    afterEnd: (hook) => {
      ended = hook
    },
    reset: () => {
      handler = defaultHandler
      answered = undefined
      ended = undefined
      requests.length = 0
      refused.length = 0
      cache.clear()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
