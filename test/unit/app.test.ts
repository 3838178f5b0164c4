import { describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }
import { createApp } from '../../src/app.js'
import {
  BudgetExceededError,
  CliNotFoundError,
  CliProtocolError,
  DeadlineExceededError,
  MaxTurnsError,
  NotLoggedInError,
  OverloadedError,
  PolicyError,
  QueueFullError,
  RateLimitedError,
  SessionNotFoundError,
  UpstreamApiError,
  UpstreamAuthError,
} from '../../src/errors.js'
import { silentLogger } from '../../src/lib/logger.js'
import { VERSION } from '../../src/lib/version.js'
import type { RunEvent } from '../../src/runner.js'
import { createFakeRunner, events, result } from '../helpers/fake-runner.js'

const setup = (options: { heartbeatMs?: number; maxBodyBytes?: number } = {}) => {
  const fake = createFakeRunner()
  const app = createApp({ runner: fake.runner, logger: silentLogger, ...options })
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  return { ...fake, app, post }
}

/** Parses an SSE body into its events: `id`, `data` (parsed) and comments. */
const parseSse = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const fields: { id?: string; data?: Record<string, unknown>; comment?: string } = {}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) fields.comment = line.slice(1).trim()
        else if (line.startsWith('id: ')) fields.id = line.slice(4)
        else if (line.startsWith('data: ')) fields.data = JSON.parse(line.slice(6))
      }
      return fields
    })

describe('health, docs and errors of the app itself', () => {
  it('answers /health with the package version', async () => {
    const { app } = setup()
    const res = await app.request('/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok', service: 'claude-code-api', version: VERSION })
    expect(VERSION).toBe(pkg.version)
  })

  it('answers unknown paths with a JSON 404', async () => {
    const res = await setup().app.request('/nope')
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ detail: 'Not Found', type: 'not_found' })
  })

  it('generates OpenAPI from the same schemas that validate', async () => {
    const res = await setup().app.request('/openapi.json')
    const spec = await res.json()
    expect(spec.openapi).toBe('3.1.0')
    for (const path of ['/health', '/llm/chat', '/llm/json', '/llm/chat/stream', '/llm/query']) {
      expect(spec.paths[path], path).toBeDefined()
    }
    const chat = spec.paths['/llm/chat'].post.requestBody.content['application/json'].schema
    expect(chat.required).toContain('prompt')
    expect(chat.properties.max_turns).toMatchObject({ minimum: 1, maximum: 10 })
    const query = spec.paths['/llm/query'].post.requestBody.content['application/json'].schema
    expect(Object.keys(query.properties)).toEqual(
      expect.arrayContaining(['images', 'allowed_tools', 'session_id', 'max_budget_usd'])
    )
  })

  it('declares both ways to send a key, so /docs can authorize', async () => {
    const spec = await (await setup().app.request('/openapi.json')).json()
    expect(spec.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    })
    expect(spec.security).toEqual([{ bearer: [] }, { apiKey: [] }])
    expect(spec.paths['/health'].get.security).toEqual([])
    expect(spec.paths['/llm/chat'].post.security).toBeUndefined()
  })

  it('serves the Swagger UI shell, with local assets when asked', async () => {
    const fake = createFakeRunner()
    const app = createApp({ runner: fake.runner, logger: silentLogger, docsAssetsUrl: '/assets' })
    const html = await (await app.request('/docs')).text()
    expect(html).toContain('/openapi.json')
    expect(html).toContain('/assets/swagger-ui-dist/swagger-ui-bundle.js')
  })
})

describe('request validation', () => {
  it('names every bad field with 422 and does not echo the input', async () => {
    const { post, requests } = setup()
    const res = await post('/llm/chat', { prompt: 'hi', max_turns: 'SECRET-INPUT', system: 5 })
    expect(res.status).toBe(422)
    const body = await res.json()
    expect(body.type).toBe('validation_error')
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'max_turns',
      'system',
    ])
    expect(JSON.stringify(body)).not.toContain('SECRET-INPUT')
    expect(requests).toHaveLength(0)
  })

  it('says a missing prompt is required', async () => {
    const res = await setup().post('/llm/chat', {})
    expect(res.status).toBe(422)
    expect((await res.json()).detail).toBe('prompt: is required')
  })

  it('refuses a model shaped like a flag before any run starts', async () => {
    const { post, requests } = setup()
    for (const model of ['--dangerously-skip-permissions', 'haiku; rm -rf /', 'a b', '']) {
      const res = await post('/llm/chat', { prompt: 'hi', model })
      expect(res.status, model).toBe(422)
      expect((await res.json()).errors[0].field).toBe('model')
    }
    expect(requests).toHaveLength(0)
  })

  it('accepts aliases and model ids of a safe shape', async () => {
    const { post, requests } = setup()
    for (const model of [
      'haiku',
      'claude-sonnet-5-5',
      'claude-opus-4-8[1m]',
      'vendor:model.v1_2',
    ]) {
      expect((await post('/llm/chat', { prompt: 'hi', model })).status, model).toBe(200)
    }
    expect(requests.map((r) => r.model)).toEqual([
      'haiku',
      'claude-sonnet-5-5',
      'claude-opus-4-8[1m]',
      'vendor:model.v1_2',
    ])
  })

  it('answers malformed JSON with 400', async () => {
    const res = await setup().post('/llm/chat', '{"prompt":')
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      detail: 'Malformed JSON in request body',
      type: 'bad_request',
    })
  })

  it('answers a non-JSON body with 415', async () => {
    const res = await setup().app.request('/llm/chat', { method: 'POST', body: 'prompt=hi' })
    expect(res.status).toBe(415)
    expect((await res.json()).type).toBe('unsupported_media_type')
  })

  it('answers a body over the limit with 413', async () => {
    const res = await setup({ maxBodyBytes: 1024 }).post('/llm/chat', { prompt: 'x'.repeat(2048) })
    expect(res.status).toBe(413)
    expect((await res.json()).type).toBe('payload_too_large')
  })

  it('validates images and session ids on /llm/query', async () => {
    const { post } = setup()
    const bad = await post('/llm/query', {
      prompt: 'x',
      images: [{ data: 'data:image/png;base64,AAAA', media_type: 'image/bmp' }],
      session_id: 'not-a-uuid',
    })
    expect(bad.status).toBe(422)
    const fields = (await bad.json()).errors.map((e: { field: string }) => e.field)
    expect(fields).toEqual(
      expect.arrayContaining(['images.0.data', 'images.0.media_type', 'session_id'])
    )
  })

  it('refuses continue_session, which would resume someone else’s session', async () => {
    const res = await setup().post('/llm/query', { prompt: 'x', continue_session: true })
    expect(res.status).toBe(422)
    expect((await res.json()).detail).toMatch(/session_id/)
  })
})

describe('routes over a runner', () => {
  it('/llm/chat keeps the original fields and adds usage, cost and session', async () => {
    const { post, requests } = setup()
    const res = await post('/llm/chat', { prompt: 'hi', system: '', model: 'sonnet' })
    expect(await res.json()).toEqual({
      text: 'ok',
      model: 'sonnet',
      is_error: false,
      error_message: null,
      session_id: '11111111-2222-4333-8444-555555555555',
      usage: expect.objectContaining({ input_tokens: 10, output_tokens: 2 }),
      total_cost_usd: 0.001,
      duration_ms: 12,
    })
    expect(requests[0]).toMatchObject({ prompt: 'hi', model: 'sonnet', maxTurns: 1 })
    expect(requests[0]?.systemPrompt).toBeUndefined()
  })

  it('/llm/query passes images before the text, tools, session and budget', async () => {
    const { post, requests } = setup()
    const res = await post('/llm/query', {
      prompt: 'describe',
      images: [{ data: 'iVBORw0KGgo=', media_type: 'image/png' }],
      system: 'Be brief.',
      append_system: 'Extra.',
      allowed_tools: ['Read'],
      session_id: '11111111-2222-4333-8444-555555555555',
      max_budget_usd: 0.5,
      max_turns: 3,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ num_turns: 1, model_usage: null, text: 'ok' })
    expect(requests[0]).toMatchObject({
      prompt: [
        {
          type: 'image',
          source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
        },
        { type: 'text', text: 'describe' },
      ],
      systemPrompt: 'Be brief.',
      appendSystemPrompt: 'Extra.',
      allowedTools: ['Read'],
      resumeSessionId: '11111111-2222-4333-8444-555555555555',
      maxBudgetUsd: 0.5,
      maxTurns: 3,
    })
  })

  it.each([
    ['{"a": 1}', { a: 1 }],
    ['Here you go:\n```json\n{"a": [1, 2]}\n```\nDone.', { a: [1, 2] }],
    ['Two: {"first": {"x": "}"}} and {"second": 2}', { first: { x: '}' } }],
    ['A list: [1, 2, 3].', [1, 2, 3]],
  ])('/llm/json extracts JSON from %j', async (text, expected) => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, result(text)))
    const res = await post('/llm/json', { prompt: 'x' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(expected)
  })

  it('/llm/json says so when there is no JSON', async () => {
    const { post, setScript } = setup()
    setScript(events(result('no json at all')))
    const res = await post('/llm/json', { prompt: 'x' })
    expect(res.status).toBe(422)
    expect(await res.json()).toMatchObject({
      type: 'no_json',
      detail: expect.stringMatching(/No JSON/),
    })
  })

  it('/llm/json with a schema returns validated structured output', async () => {
    const { post, setScript, requests } = setup()
    const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] }
    setScript(events(result('{"n":4}', { structuredOutput: { n: 4 } })))
    const ok = await post('/llm/json', { prompt: 'x', schema })
    expect(await ok.json()).toEqual({ n: 4 })
    expect(requests[0]?.jsonSchema).toEqual(schema)

    setScript(events(result('{"n":"four"}', { structuredOutput: { n: 'four' } })))
    const bad = await post('/llm/json', { prompt: 'x', schema })
    expect(bad.status).toBe(422)
    expect((await bad.json()).type).toBe('structured_output_failed')
  })

  it('/llm/status and /llm/models report what the runner says', async () => {
    const { app } = setup()
    expect(await (await app.request('/llm/status')).json()).toMatchObject({
      available: true,
      capacity: { max_concurrency: 2 },
    })
    const models = await (await app.request('/llm/models')).json()
    expect(models.models[0]).toMatchObject({ id: 'haiku', api_id: 'claude-fake-haiku' })
  })
})

describe('error mapping', () => {
  it.each([
    [new CliNotFoundError('x'), 503, 'cli_not_found'],
    [new NotLoggedInError('x'), 503, 'not_logged_in'],
    [new UpstreamAuthError('x'), 503, 'upstream_auth_error'],
    [new RateLimitedError('x', { retryAfter: 42 }), 429, 'rate_limited'],
    [new QueueFullError('x', { retryAfter: 3 }), 429, 'queue_full'],
    [new OverloadedError('x', { retryAfter: 5 }), 503, 'overloaded'],
    [new UpstreamApiError('x'), 502, 'upstream_error'],
    [new CliProtocolError('x'), 502, 'protocol_error'],
    [new MaxTurnsError('x'), 422, 'max_turns_exceeded'],
    [new BudgetExceededError('x'), 422, 'budget_exceeded'],
    [new DeadlineExceededError('x'), 504, 'deadline_exceeded'],
    [new SessionNotFoundError('x'), 404, 'session_not_found'],
    [new PolicyError('x'), 403, 'forbidden'],
  ])('%s → %i %s', async (error, status, type) => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, error))
    const res = await post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(status)
    expect(await res.json()).toEqual({ detail: 'x', type })
    expect(res.headers.get('retry-after')).toBe(error.retryAfter ? String(error.retryAfter) : null)
  })

  it('tells when a rate limit resets', async () => {
    const { post, setScript } = setup()
    const resetAt = new Date(Date.now() + 3_600_000)
    setScript(events(new RateLimitedError('limit', { retryAfter: 3600, resetAt })))
    const res = await post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(429)
    expect(await res.json()).toEqual({
      detail: 'limit',
      type: 'rate_limited',
      reset_at: resetAt.toISOString(),
    })
  })

  it('hides unexpected errors behind a 500', async () => {
    const { post, setScript } = setup()
    setScript(events(new Error('secret internals')))
    const res = await post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ detail: 'Internal server error', type: 'internal_error' })
  })
})

describe('SSE framing of /llm/chat/stream', () => {
  const delta = (text: string): RunEvent => ({ type: 'text_delta', text })

  it('sends start, chunks, end, each with an id', async () => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, delta('Once'), delta(' upon'), result('Once upon')))
    const res = await post('/llm/chat/stream', { prompt: 'story' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const sse = parseSse(await res.text())
    expect(sse.map((e) => e.data)).toEqual([
      { type: 'start' },
      { type: 'chunk', text: 'Once' },
      { type: 'chunk', text: ' upon' },
      { type: 'end' },
    ])
    expect(sse.map((e) => e.id)).toEqual(['0', '1', '2', '3'])
  })

  it('sends the result as one chunk when no delta came', async () => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, result('whole')))
    const sse = parseSse(await (await post('/llm/chat/stream', { prompt: 'x' })).text())
    expect(sse.map((e) => e.data?.type)).toEqual(['start', 'chunk', 'end'])
    expect(sse[1]?.data).toEqual({ type: 'chunk', text: 'whole' })
  })

  it('reports a failure mid-stream as an error event, then end', async () => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, delta('par'), new OverloadedError('busy upstream')))
    const sse = parseSse(await (await post('/llm/chat/stream', { prompt: 'x' })).text())
    expect(sse.map((e) => e.data)).toEqual([
      { type: 'start' },
      { type: 'chunk', text: 'par' },
      { type: 'error', message: 'busy upstream', error_type: 'overloaded' },
      { type: 'end' },
    ])
  })

  it('never sends internal error text in an error event', async () => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, new Error('stderr: secret path /home/x')))
    const text = await (await post('/llm/chat/stream', { prompt: 'x' })).text()
    expect(text).not.toContain('secret')
    expect(text).toContain('Internal server error')
  })

  it('answers failures before the run starts with an HTTP status', async () => {
    const { post, setScript } = setup()
    setScript(events(new QueueFullError('full', { retryAfter: 7 })))
    const res = await post('/llm/chat/stream', { prompt: 'x' })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('7')
  })

  it('sends keep-alive comments while waiting', async () => {
    const { post, setScript } = setup({ heartbeatMs: 20 })
    setScript(async function* () {
      yield { type: 'queued', position: 1 }
      await new Promise((resolve) => setTimeout(resolve, 120))
      yield result('late')
    })
    const sse = parseSse(await (await post('/llm/chat/stream', { prompt: 'x' })).text())
    expect(sse.filter((e) => e.comment === 'keep-alive').length).toBeGreaterThanOrEqual(2)
    expect(sse.filter((e) => e.data).map((e) => e.data?.type)).toEqual(['start', 'chunk', 'end'])
  })

  it('aborts the run when the client goes away', async () => {
    const { app, setScript } = setup()
    let aborted = false
    setScript(async function* (_request, { signal }) {
      yield { type: 'started' }
      await new Promise<void>((resolve) => {
        signal?.addEventListener('abort', () => {
          aborted = true
          resolve()
        })
      })
    })
    const client = new AbortController()
    const res = await app.request('/llm/chat/stream', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x' }),
      signal: client.signal,
    })
    const reader = res.body?.getReader()
    await reader?.read()
    await reader?.cancel()
    expect(await waitUntil(() => aborted)).toBe(true)
  })
})

const waitUntil = async (check: () => boolean, timeoutMs = 2_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  return check()
}
