import { describe, expect, it } from 'vitest'
import { createFakeRunner, events, result } from '../../dev-tools/fake-runner.js'
import pkg from '../../package.json' with { type: 'json' }
import { createApp } from '../../src/app.js'
import { silentLogger } from '../../src/lib/logger.js'
import { VERSION } from '../../src/lib/version.js'
import { setupApp as setup } from '../helpers/fake-app.js'

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
  it('/llm/chat keeps the original fields and adds why it ended, usage, cost and session', async () => {
    const { post, requests } = setup()
    const res = await post('/llm/chat', { prompt: 'hi', system: '', model: 'sonnet' })
    expect(await res.json()).toEqual({
      text: 'ok',
      model: 'sonnet',
      is_error: false,
      error_message: null,
      stop_reason: 'end_turn',
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
