/**
 * End to end: the real server, the real pinned CLI, the project's mock Messages API.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { processesIn, TESTED_CLI, TESTED_VERSION } from '../../dev-tools/cli-env.js'
import { lastUserMessage, systemText, userText } from '../../dev-tools/mock-anthropic/server.js'
import { NativeStreamEvent } from '../../src/contract/native-events.js'
import { readEvents } from '../../src/lib/read-events.js'
import { PNG } from '../helpers/png.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(async () => {
  expect(await processesIn(stack.workDir)).toEqual([])
  // Every run's working directory was removed.
  expect(await readdir(join(stack.workDir, 'runs'))).toEqual([])
  await stack?.close()
})

/** Session transcripts the CLI wrote under its config directory. */
const transcripts = async () => {
  const files = await readdir(join(stack.home, '.claude'), { recursive: true }).catch(() => [])
  return files.filter((f) => f.endsWith('.jsonl'))
}
beforeEach(() => stack.mock.reset())

const lastRequest = () => {
  const request = stack.mock.messageRequests().at(-1)
  if (!request) throw new Error('the mock received no request')
  return request
}

describe('info endpoints', () => {
  it('/health', async () => {
    const res = await fetch(`${stack.url}/health`)
    expect(await res.json()).toMatchObject({ status: 'ok', service: 'claude-code-api' })
  })

  it('/llm/status names the pinned CLI, its version and the capacity', async () => {
    const status = await (await fetch(`${stack.url}/llm/status`)).json()
    expect(status).toMatchObject({
      available: true,
      binary_source: TESTED_CLI.source,
      version: expect.stringMatching(TESTED_VERSION),
      capacity: { running: 0, queued: 0 },
    })
    if (TESTED_CLI.source === 'package') {
      expect(status.binary_path).toMatch(/@anthropic-ai\/claude-code\/bin\/claude\.exe$/)
    } else {
      expect(status.binary_path).toBe(process.env.CLAUDE_BIN)
    }
  })

  it('/llm/models lists the aliases with the ids this CLI resolves them to', async () => {
    const { models } = await (await fetch(`${stack.url}/llm/models`)).json()
    const haiku = models.find((m: { id: string }) => m.id === 'haiku')
    expect(haiku).toMatchObject({ api_id: expect.stringMatching(/^claude-/) })
    expect(haiku.input_price).toMatch(/^\$/)
    expect(models.map((m: { id: string }) => m.id)).toEqual(
      expect.arrayContaining(['haiku', 'sonnet', 'opus'])
    )
    // The id is what the CLI really sends for the alias.
    const res = await stack.post('/llm/chat', { prompt: 'which model?', model: 'haiku' })
    expect(res.status).toBe(200)
    expect(lastRequest().body.model).toBe(haiku.api_id)
  })

  it('/docs works offline: the page and its assets come from this server', async () => {
    const html = await (await fetch(`${stack.url}/docs`)).text()
    expect(html).toContain('/assets/swagger-ui-dist/swagger-ui-bundle.js')
    const js = await fetch(`${stack.url}/assets/swagger-ui-dist/swagger-ui-bundle.js`)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000)
    const css = await fetch(`${stack.url}/assets/swagger-ui-dist/swagger-ui.css`)
    expect(css.status).toBe(200)
  })
})

describe('/llm/chat', () => {
  it('answers through the real CLI, with usage and cost', async () => {
    const res = await stack.post('/llm/chat', { prompt: 'What is 2+2?' })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toMatchObject({
      text: 'ECHO: What is 2+2?',
      model: 'haiku',
      is_error: false,
      error_message: null,
      session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      usage: { input_tokens: expect.any(Number), output_tokens: 2 },
    })
    expect(body.total_cost_usd).toBeGreaterThan(0)
    expect(body.duration_ms).toBeGreaterThan(0)
  })

  it('offers the model no tools by default', async () => {
    await stack.post('/llm/chat', { prompt: 'hi' })
    expect(lastRequest().body.tools).toEqual([])
  })

  it('sends the system prompt to the model', async () => {
    await stack.post('/llm/chat', { prompt: 'hi', system: 'You are a calculator.' })
    expect(systemText(lastRequest().body)).toContain('You are a calculator.')
  })
})

describe('hostile input reaches the model intact', () => {
  it.each([
    ['a flag', '--version'],
    ['a dangerous flag', '--dangerously-skip-permissions'],
    ['a slash command', '/login'],
    ['unicode and newlines', 'Grüße 👋\nline two\r\n\ttabbed "quoted" \\ back\u2028sep'],
  ])('%s', async (_name, prompt) => {
    const res = await stack.post('/llm/chat', { prompt })
    expect(res.status).toBe(200)
    expect(userText(lastUserMessage(lastRequest().body))).toBe(prompt)
    expect((await res.json()).text).toBe(`ECHO: ${prompt}`)
  })

  it('keeps no session transcript unless one was asked for', async () => {
    const before = await transcripts()
    expect((await stack.post('/llm/chat', { prompt: 'forget me' })).status).toBe(200)
    expect(await transcripts()).toEqual(before)
  })

  it('refuses a model shaped like a flag, malformed JSON and wrong types, before any run', async () => {
    const refused = [
      await stack.post('/llm/chat', { prompt: 'hi', model: '--dangerously-skip-permissions' }),
      await stack.post('/llm/chat', '{"prompt": "hi"'),
      await stack.post('/llm/chat', { prompt: ['hi'], max_turns: '2' }),
      await stack.post('/llm/query', { prompt: 'hi', allowed_tools: 'Bash' }),
    ]
    expect(refused.map((r) => r.status)).toEqual([422, 400, 422, 422])
    expect(stack.mock.messageRequests()).toHaveLength(0)
    expect(await processesIn(stack.workDir)).toEqual([])
  })

  it('a 300 KB prompt', async () => {
    const prompt = 'abcdefghij'.repeat(30_000)
    stack.mock.setHandler(() => ({ kind: 'text', text: 'long ok' }))
    const res = await stack.post('/llm/chat', { prompt })
    expect(res.status).toBe(200)
    expect(userText(lastUserMessage(lastRequest().body))).toBe(prompt)
  })
})

describe('/llm/json', () => {
  it('returns JSON the model wrote as plain text', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: '{"answer": 4, "why": "2+2"}' }))
    const res = await stack.post('/llm/json', { prompt: 'json please' })
    expect(await res.json()).toEqual({ answer: 4, why: '2+2' })
  })

  it('returns JSON from a fenced block', async () => {
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'Sure:\n```json\n[{"a": 1}, {"a": 2}]\n```\nAnything else?',
      chunks: 4,
    }))
    const res = await stack.post('/llm/json', { prompt: 'list' })
    expect(await res.json()).toEqual([{ a: 1 }, { a: 2 }])
  })

  it('uses structured output for a schema, and the model sees the schema', async () => {
    const schema = {
      type: 'object',
      properties: { answer: { type: 'number' } },
      required: ['answer'],
    }
    const res = await stack.post('/llm/json', { prompt: '2+2?', schema })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ answer: 4 })
    const tool = stack.mock
      .messageRequests()[0]
      ?.body.tools?.find((t) => t.name === 'StructuredOutput')
    expect(tool?.input_schema).toMatchObject(schema)
  })

  it('is a 422 when the model ignores the schema', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'four' }))
    const res = await stack.post('/llm/json', {
      prompt: '2+2?',
      schema: { type: 'object', required: ['answer'] },
    })
    expect(res.status).toBe(422)
    expect((await res.json()).type).toBe('structured_output_failed')
  })

  it('is a 422 that says so when there is no JSON', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'I would rather not.' }))
    const res = await stack.post('/llm/json', { prompt: 'json please' })
    expect(res.status).toBe(422)
    expect(await res.json()).toMatchObject({
      type: 'no_json',
      detail: expect.stringContaining('No JSON found'),
    })
  })
})

describe('/llm/chat/stream', () => {
  it('delivers deltas while the run is still going', async () => {
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'one two three four',
      chunks: 4,
      intervalMs: 400,
    }))
    const started = Date.now()
    const res = await stack.post('/llm/chat/stream', { prompt: 'count' })
    expect(res.status).toBe(200)
    const arrivals: Array<{ at: number; data: NativeStreamEvent }> = []
    const body = res.body as ReadableStream<Uint8Array>
    for await (const data of readEvents(body, 'sse', NativeStreamEvent)) {
      arrivals.push({ at: Date.now() - started, data })
    }
    const types = arrivals.map((a) => a.data.type)
    expect(types[0]).toBe('start')
    expect(types.at(-1)).toBe('end')
    const chunks = arrivals.filter((a) => a.data.type === 'chunk')
    expect(chunks.map((c) => (c.data.type === 'chunk' ? c.data.text : '')).join('')).toBe(
      'one two three four'
    )
    expect(chunks.length).toBeGreaterThanOrEqual(3)
    // The first words came long before the last ones: nothing was buffered until the end.
    const end = arrivals.at(-1)?.at ?? 0
    expect(end - (chunks[0]?.at ?? end)).toBeGreaterThan(800)
  })
})

describe('/llm/query', () => {
  it('sends the system prompt and the image to the model', async () => {
    const res = await stack.post('/llm/query', {
      prompt: 'What is in this image?',
      system: 'Be brief.',
      images: [{ data: PNG, media_type: 'image/png' }],
    })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toMatchObject({
      text: 'ECHO: What is in this image?',
      num_turns: 1,
      is_error: false,
      model_usage: expect.any(Object),
    })
    const request = lastRequest().body
    expect(systemText(request)).toContain('Be brief.')
    const content = lastUserMessage(request)?.content as Array<Record<string, unknown>>
    expect(content[0]).toMatchObject({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: PNG },
    })
    expect(content.at(-1)).toMatchObject({ type: 'text', text: 'What is in this image?' })
  })

  it('refuses tools outside the server policy before starting anything', async () => {
    const res = await stack.post('/llm/query', { prompt: 'run ls', allowed_tools: ['Bash'] })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({
      type: 'forbidden',
      detail: expect.stringContaining('Bash'),
    })
    expect(stack.mock.messageRequests()).toHaveLength(0)
  })

  it('keeps a session when asked and resumes it with its history', async () => {
    const before = (await transcripts()).length
    const first = await (
      await stack.post('/llm/query', { prompt: 'My name is Ada.', persist_session: true })
    ).json()
    expect(first.session_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await transcripts()).toHaveLength(before + 1)
    const second = await stack.post('/llm/query', {
      prompt: 'What is my name?',
      session_id: first.session_id,
    })
    expect(second.status).toBe(200)
    const resumed = await second.json()
    expect(resumed.session_id).toBe(first.session_id)
    // total_cost_usd is this run's, as model_usage is: not the session's running total.
    const runCost = Object.values(resumed.model_usage as Record<string, { costUSD: number }>)
      .map((u) => u.costUSD)
      .reduce((sum, cost) => sum + cost, 0)
    expect(runCost).toBeGreaterThan(0)
    expect(resumed.total_cost_usd).toBeCloseTo(runCost, 12)
    const history = (lastRequest().body.messages ?? []).filter((m) => m.role !== 'system')
    expect(history.map((m) => [m.role, userText(m)])).toEqual([
      ['user', 'My name is Ada.'],
      ['assistant', 'ECHO: My name is Ada.'],
      ['user', 'What is my name?'],
    ])
  })

  it('answers an unknown session with 404', async () => {
    const res = await stack.post('/llm/query', {
      prompt: 'hi',
      session_id: '99999999-2222-4333-8444-555555555555',
    })
    expect(res.status).toBe(404)
    expect((await res.json()).type).toBe('session_not_found')
  })

  it('reports max_turns reached as a 422', async () => {
    stack.mock.setHandler(() => ({
      kind: 'tool',
      name: 'Read',
      input: { file_path: '/etc/hostname' },
    }))
    const res = await stack.post('/llm/query', { prompt: 'read it', max_turns: 1 })
    expect(res.status).toBe(422)
    expect((await res.json()).type).toBe('max_turns_exceeded')
  })
})
