/**
 * The edge front door inside the real workerd runtime. Runs go to a runner host on 127.0.0.1
 * that drives the real CLI against the mock Messages API (see global-setup.ts).
 */
import { env, SELF } from 'cloudflare:test'
import { beforeEach, describe, expect, inject, it } from 'vitest'
import { NativeStreamEvent } from '../../src/contract/native-events.js'
import { readEvents } from '../../src/lib/read-events.js'
import worker from '../../src/runtime/worker/entry.js'
import { json, mock, mockRequests, sha256Hex, waitFor, workerWith } from './helpers.js'

const KEY = 'cca_5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e'
const TOKEN = 'runner-token-for-tests'
const auth = { ...json, authorization: `Bearer ${KEY}` }

const post = (path: string, body: unknown, init: RequestInit = {}) =>
  SELF.fetch(`http://edge${path}`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
    ...init,
  })

const runnerHealth = async () =>
  (await (
    await fetch(`${inject('runnerUrl')}/runner/v1/health`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'x-runner-protocol': '1' },
    })
  ).json()) as { capacity: { running: number } }

beforeEach(async () => {
  await mock('reset', {})
})

describe('answered at the edge', () => {
  it("a bad binding is every request's answer, in the words the Node server stops with", async () => {
    const bound = { ...(env as Record<string, unknown>), LOG_LEVEL: 'loud' }
    const res = await worker.fetch(new Request('http://edge/health'), bound as never)
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({
      type: 'config_error',
      detail: 'LOG_LEVEL must be debug, info, warn, error or silent (got "loud")',
    })
  })

  it('health, OpenAPI and docs need neither a key nor a runner host', async () => {
    const edge = workerWith({ RUNNER_URLS: inject('deadUrl') })
    expect(await (await edge.request('/health')).json()).toMatchObject({ status: 'ok' })
    expect((await (await edge.request('/openapi.json')).json()).paths['/llm/chat']).toBeDefined()
    expect(await (await edge.request('/docs')).text()).toContain('swagger-ui')
  })

  it('serves the chat page and its files from the static-assets binding, with no key', async () => {
    const page = await SELF.fetch('http://edge/chat')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await page.text()
    expect(html).toContain('aria-label="Message"')
    const files = [...html.matchAll(/"\/chat\/assets\/(chat-[0-9a-f]+\.(?:js|css))"/g)]
    expect(files).toHaveLength(2)
    for (const [, file] of files) {
      const asset = await SELF.fetch(`http://edge/chat/assets/${file}`)
      expect(asset.status).toBe(200)
      expect(asset.headers.get('content-type')).toMatch(
        file?.endsWith('.js') ? /javascript/ : /css/
      )
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1_000)
    }
    expect((await SELF.fetch('http://edge/chat/assets/chat-0000000000.js')).status).toBe(404)
    const index = await SELF.fetch('http://edge/', { headers: { accept: 'text/html' } })
    expect(await index.text()).toContain('href="/chat"')
  })

  it('auth: no key or a wrong key is a 401 at the edge, and nothing reaches the runner', async () => {
    const none = await SELF.fetch('http://edge/llm/chat', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ prompt: 'hi' }),
    })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    const wrong = await post(
      '/llm/chat',
      { prompt: 'hi' },
      { headers: { ...json, 'x-api-key': 'cca_00000000000000000000000000000000' } }
    )
    expect(wrong.status).toBe(401)
    expect(await mockRequests()).toHaveLength(0)
  })

  it('keys can also come from a KV namespace, with their policy', async () => {
    const kvKey = 'cca_7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a'
    const hash = await sha256Hex(kvKey)
    const store = new Map([[hash, { name: 'from-kv', policy: { models: ['haiku'] } }]])
    const edge = workerWith({
      KEYS: { get: async <T>(key: string) => (store.get(key) ?? null) as T | null },
    })
    const headers = { ...json, authorization: `Bearer ${kvKey}` }
    const ok = await edge.request('/llm/chat', {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: 'kv' }),
    })
    expect(ok.status).toBe(200)
    const denied = await edge.request('/llm/chat', {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: 'kv', model: 'opus' }),
    })
    expect(denied.status).toBe(403)
  })

  it('a KV key whose policy is malformed is refused, not loosened', async () => {
    const kvKey = 'cca_7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b'
    const hash = await sha256Hex(kvKey)
    // A string where a list belongs: once read as a substring test ("haiku" allowed "h").
    const store = new Map([[hash, { name: 'bad-policy', policy: { models: 'haiku' } }]])
    const edge = workerWith({
      KEYS: { get: async <T>(key: string) => (store.get(key) ?? null) as T | null },
    })
    const res = await edge.request('/llm/chat', {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${kvKey}` },
      body: JSON.stringify({ prompt: 'kv', model: 'haiku' }),
    })
    expect(res.status).toBe(401)
  })

  it('validation: a bad model is a 422 at the edge', async () => {
    const res = await post('/llm/chat', { prompt: 'hi', model: '--dangerously-skip-permissions' })
    expect(res.status).toBe(422)
    expect(await mockRequests()).toHaveLength(0)
  })
})

describe('runs through the runner host', () => {
  it('chat', async () => {
    const res = await post('/llm/chat', { prompt: 'hi from the edge' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ text: 'ECHO: hi from the edge', is_error: false })
  })

  it('json, plain and with a schema', async () => {
    await mock('reply', { kind: 'text', text: 'Sure: {"a": [1, 2]}' })
    expect(await (await post('/llm/json', { prompt: 'json' })).json()).toEqual({ a: [1, 2] })
    await mock('reset', {})
    const schema = {
      type: 'object',
      properties: { answer: { type: 'number' } },
      required: ['answer'],
    }
    expect(await (await post('/llm/json', { prompt: '2+2', schema })).json()).toEqual({ answer: 4 })
  })

  it('models come from the CLI behind the runner host', async () => {
    const res = await SELF.fetch('http://edge/llm/models', { headers: auth })
    const { models } = await res.json<{ models: Array<{ id: string; api_id: string }> }>()
    expect(models.map((m) => m.id)).toEqual(expect.arrayContaining(['haiku', 'sonnet', 'opus']))
  })

  it('the Responses API, stateless (store: false, the whole input each call, as Codex sends it)', async () => {
    const res = await post('/v1/responses', {
      model: 'haiku',
      store: false,
      input: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'hi from the edge' },
      ],
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      object: 'response',
      status: 'completed',
      output_text: 'ECHO: hi from the edge',
    })
    const streamed = await post('/v1/responses', {
      model: 'haiku',
      input: 'streamed',
      stream: true,
    })
    const events = (await streamed.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as { type: string; sequence_number: number })
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
    expect(events.at(-1)?.type).toBe('response.completed')
  })

  it('stored Responses are found from another isolate: previous_response_id, GET and DELETE', async () => {
    // Two front doors with their own isolate state: only the key's Durable Object is shared.
    const [a, b] = [workerWith({}), workerWith({})]
    const send = (edge: typeof a, body: unknown) =>
      edge.request('/v1/responses', { method: 'POST', headers: auth, body: JSON.stringify(body) })
    const first = (await (await send(a, { model: 'haiku', input: 'Remember ZEBRA' })).json()) as {
      id: string
    }
    const second = await send(b, {
      model: 'haiku',
      previous_response_id: first.id,
      input: 'Which word?',
    })
    expect(await second.json()).toMatchObject({ output_text: 'ECHO: Which word?' })
    const seen = JSON.stringify((await mockRequests()).at(-1)?.body)
    expect(seen).toContain('Remember ZEBRA')
    const fetched = await b.request(`/v1/responses/${first.id}`, { headers: auth })
    expect(await fetched.json()).toMatchObject({
      id: first.id,
      output_text: 'ECHO: Remember ZEBRA',
    })
    const removed = await b.request(`/v1/responses/${first.id}`, {
      method: 'DELETE',
      headers: auth,
    })
    expect(removed.status).toBe(200)
    expect((await a.request(`/v1/responses/${first.id}`, { headers: auth })).status).toBe(404)
  })

  it('a message thread continues through another isolate, once', async () => {
    const [a, b] = [workerWith({}), workerWith({})]
    const send = (edge: typeof a, content: string, thread: unknown) =>
      edge.request('/v1/messages', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          model: 'haiku',
          max_tokens: 100,
          messages: [{ role: 'user', content }],
          thread,
        }),
      })
    const first = (await (await send(a, 'Remember OTTER', { type: 'create' })).json()) as {
      id: string
    }
    const next = { type: 'continue', previous_message_id: first.id }
    const second = await send(b, 'Which word?', next)
    expect(await second.json()).toMatchObject({ content: [{ text: 'ECHO: Which word?' }] })
    expect(JSON.stringify((await mockRequests()).at(-1)?.body)).toContain('Remember OTTER')
    const again = await send(a, 'Again?', next)
    expect(again.status).toBe(400)
    expect(await again.json()).toMatchObject({
      error: { details: { error_code: 'thread_already_continued' } },
    })
  })

  it('stream: deltas arrive incrementally through both hops', async () => {
    await mock('reply', { kind: 'text', text: 'one two three four', chunks: 4, intervalMs: 400 })
    const started = Date.now()
    const res = await post('/llm/chat/stream', { prompt: 'count' })
    expect(res.status).toBe(200)
    const chunks: Array<{ at: number; text: string }> = []
    let ended = 0
    const body = res.body as ReadableStream<Uint8Array>
    for await (const event of readEvents(body, 'sse', NativeStreamEvent)) {
      if (event.type === 'chunk') chunks.push({ at: Date.now() - started, text: event.text })
      if (event.type === 'end') ended = Date.now() - started
    }
    expect(chunks.map((c) => c.text).join('')).toBe('one two three four')
    expect(chunks.length).toBeGreaterThanOrEqual(3)
    expect(ended - (chunks[0]?.at ?? ended)).toBeGreaterThan(800)
  })

  it('errors keep their type across the hops: a rate limit is a 429 with Retry-After', async () => {
    await mock('reply', {
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      headers: { 'retry-after': '1' },
    })
    const res = await post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(429)
    expect((await res.json<{ type: string }>()).type).toBe('rate_limited')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  })

  it('a client that aborts stops the run on the runner host (the CLI is killed)', async () => {
    await mock('reply', { kind: 'text', text: 'late', delayMs: 20_000 })
    const client = new AbortController()
    const pending = workerWith({})
      .request('/llm/chat/stream', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ prompt: 'slow' }),
        signal: client.signal,
      })
      .then(async (res) => {
        const reader = (res.body as ReadableStream<Uint8Array>).getReader()
        for (;;) if ((await reader.read()).done) break
      })
      .catch(() => {})
    await waitFor(async () => (await mockRequests()).length > 0)
    expect((await runnerHealth()).capacity.running).toBe(1)
    client.abort()
    await waitFor(async () => (await runnerHealth()).capacity.running === 0, 5_000)
    await pending
  })
})

describe('runner hosts down', () => {
  it('the only runner host down: 503 that says so', async () => {
    const res = await workerWith({ RUNNER_URLS: inject('deadUrl') }).request('/llm/chat', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ prompt: 'hi' }),
    })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({
      type: 'runner_unavailable',
      detail: expect.stringMatching(/runner host/),
    })
  })

  it('two runner hosts, one down: every request is still served', async () => {
    const edge = workerWith({ RUNNER_URLS: `${inject('deadUrl')},${inject('runnerUrl')}` })
    for (const prompt of ['one', 'two', 'three']) {
      const res = await edge.request('/llm/chat', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ prompt }),
      })
      expect(res.status).toBe(200)
      expect((await res.json<{ text: string }>()).text).toBe(`ECHO: ${prompt}`)
    }
    const status = await (await edge.request('/llm/status', { headers: auth })).json<{
      hosts: Array<{ up: boolean }>
      binary_path: string | null
      auth_method: string | null
    }>()
    expect(status.hosts.map((h) => h.up)).toEqual([false, true])
    // The runner hosts' addresses are for admin keys only.
    expect(JSON.stringify(status)).not.toContain('127.0.0.1')
    expect(status).toMatchObject({ binary_path: null, auth_method: null })
  })
})
