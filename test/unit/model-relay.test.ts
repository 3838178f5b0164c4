/**
 * The relay of model calls, over a real loopback upstream: it passes calls on as sent; on a
 * capped route, once an answer stopped at `max_tokens` no further model call leaves; on a
 * login's route, the calls carry the login's token instead of the process's stand-in.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createModelRelay,
  type ModelRelay,
  STAND_IN_TOKEN,
} from '../../src/adapters/node/process/model-relay.js'
import { silentLogger } from '../../src/lib/logger.js'

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string }

let upstream: Server
let seen: Seen[]
/** What the upstream answers a model call with: SSE events, written in these pieces. */
let pieces: string[]
let relay: ModelRelay
const listened: string[] = []

const sse = (stop: string) =>
  [
    'event: message_start\ndata: {"type":"message_start"}\n\n',
    `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"${stop}"}}\n\n`,
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ].join('')

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on('end', async () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-upstream': 'yes' })
      for (const piece of pieces) {
        res.write(piece)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      res.end()
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const { port } = upstream.address() as AddressInfo
  relay = createModelRelay({
    upstream: `http://127.0.0.1:${port}/gateway/`,
    onListen: (target) => listened.push(target),
    logger: silentLogger,
  })
})
afterAll(async () => {
  await relay.close()
  await new Promise<void>((resolve) => upstream.close(() => resolve()))
})
beforeEach(() => {
  seen = []
  pieces = [sse('end_turn')]
})

const call = (baseUrl: string, path = '/v1/messages?beta=true', method = 'POST') =>
  fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: 'Bearer login-token', 'content-type': 'application/json' },
    ...(method === 'POST' && { body: '{"max_tokens":5}' }),
  })

describe('the model relay', () => {
  it('passes a model call on as sent, under the upstream path, and its answer back', async () => {
    const route = await relay.open()
    const answer = await call(route.baseUrl)
    expect(answer.headers.get('x-upstream')).toBe('yes')
    expect(await answer.text()).toBe(sse('end_turn'))
    expect(seen).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/gateway/v1/messages?beta=true',
        body: '{"max_tokens":5}',
        headers: expect.objectContaining({
          authorization: 'Bearer login-token',
          'accept-encoding': 'identity',
        }),
      }),
    ])
    expect(listened).toHaveLength(1)
    expect(route.spent()).toBe(false)
    route.close()
  })

  it('refuses every model call after an answer stopped at the cap, without reaching the API', async () => {
    const route = await relay.open({ capped: true })
    // The marker split between two pieces of the stream.
    const whole = sse('max_tokens')
    const at = whole.indexOf('max_to')
    pieces = [whole.slice(0, at), whole.slice(at)]
    expect(await (await call(route.baseUrl)).text()).toBe(whole)
    expect(route.spent()).toBe(true)

    const refused = await call(route.baseUrl)
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: { type: 'invalid_request_error' } })
    expect(seen).toHaveLength(1)

    // What is not a model call still goes through; another process's route is not touched.
    await (await call(route.baseUrl, '/v1/messages/count_tokens')).text()
    const other = await relay.open({ capped: true })
    await (await call(other.baseUrl)).text()
    expect(seen.map((s) => s.url)).toEqual([
      '/gateway/v1/messages?beta=true',
      '/gateway/v1/messages/count_tokens',
      '/gateway/v1/messages?beta=true',
    ])
    route.close()
    other.close()
  })

  it('answers 404 for a route that is closed or never was', async () => {
    const route = await relay.open()
    route.close()
    expect((await call(route.baseUrl)).status).toBe(404)
    expect((await call(route.baseUrl.replace(/[\w-]+$/, 'nope'))).status).toBe(404)
    expect(seen).toEqual([])
  })
})

describe('a route for a key login', () => {
  it("puts the login's token on every call in place of the stand-in, and does not stop at the cap", async () => {
    const route = await relay.open({ token: 'sk-ant-oat01-the-real-one' })
    pieces = [sse('max_tokens')]
    for (const _ of [1, 2]) {
      await (
        await fetch(`${route.baseUrl}/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${STAND_IN_TOKEN}`, 'x-api-key': STAND_IN_TOKEN },
          body: '{}',
        })
      ).text()
    }
    expect(seen.map((s) => [s.headers.authorization, s.headers['x-api-key']])).toEqual([
      ['Bearer sk-ant-oat01-the-real-one', undefined],
      ['Bearer sk-ant-oat01-the-real-one', undefined],
    ])
    route.close()
  })
})
