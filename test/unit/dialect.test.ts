import { describe, expect, it } from 'vitest'
import { createFakeRunner, events, result } from '../../dev-tools/fake-runner.js'
import { createApp } from '../../src/app.js'
import {
  CliProtocolError,
  DeadlineExceededError,
  NotLoggedInError,
  OverloadedError,
  QueueFullError,
} from '../../src/errors/index.js'
import { silentLogger } from '../../src/lib/logger.js'

const call = async (error: Error, path: '/v1/chat/completions' | '/v1/messages') => {
  const fake = createFakeRunner(events({ type: 'started' }, error))
  const app = createApp({ runner: fake.runner, logger: silentLogger })
  const body =
    path === '/v1/messages'
      ? { model: 'haiku', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }
      : { model: 'haiku', messages: [{ role: 'user', content: 'x' }] }
  const res = await app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') }
}

describe('errors in the OpenAI and Anthropic shapes', () => {
  it.each([
    [new CliProtocolError('x'), 502, 'server_error', 'api_error', 502],
    [new NotLoggedInError('x'), 503, 'server_error', 'api_error', 503],
    [new DeadlineExceededError('x'), 504, 'server_error', 'api_error', 504],
    [new OverloadedError('x', { retryAfter: 5 }), 503, 'server_error', 'overloaded_error', 529],
    [new QueueFullError('x', { retryAfter: 3 }), 429, 'rate_limit_error', 'rate_limit_error', 429],
  ])('%s', async (error, openaiStatus, openaiType, anthropicType, anthropicStatus) => {
    const openai = await call(error, '/v1/chat/completions')
    expect(openai.status).toBe(openaiStatus)
    expect(openai.body).toEqual({
      error: {
        message: 'x',
        type: openaiType,
        param: null,
        code: (error as CliProtocolError).type,
      },
    })
    const anthropic = await call(error, '/v1/messages')
    expect(anthropic.status).toBe(anthropicStatus)
    expect(anthropic.body).toEqual({ type: 'error', error: { type: anthropicType, message: 'x' } })
    expect(anthropic.retryAfter).toBe(openai.retryAfter)
  })

  it('a validation failure is a 400 naming the field', async () => {
    const app = createApp({ runner: createFakeRunner().runner, logger: silentLogger })
    const res = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'haiku' }),
    })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toMatchObject({
      type: 'invalid_request_error',
      param: 'messages',
    })
  })
})

describe("a run the key's budget stopped before it was done", () => {
  const post = async (path: string, body: unknown) => {
    const cut = result('Let me look.', { stopReason: 'budget' })
    const fake = createFakeRunner(events({ type: 'started' }, cut))
    const app = createApp({ runner: fake.runner, logger: silentLogger })
    const res = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(200)
    return res.json()
  }
  const messages = [{ role: 'user', content: 'x' }]

  it('gives what it made, marked as cut at a limit in each dialect', async () => {
    expect(await post('/llm/query', { prompt: 'x' })).toMatchObject({
      text: 'Let me look.',
      stop_reason: 'budget',
    })
    expect(await post('/v1/messages', { model: 'haiku', max_tokens: 10, messages })).toMatchObject({
      content: [{ type: 'text', text: 'Let me look.' }],
      stop_reason: 'max_tokens',
    })
    const chat = await post('/v1/chat/completions', { model: 'haiku', messages })
    expect(chat.choices[0]).toMatchObject({
      message: { content: 'Let me look.' },
      finish_reason: 'length',
    })
    expect(await post('/v1/responses', { model: 'haiku', input: 'x' })).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    })
  })
})
