/**
 * The official `@anthropic-ai/sdk` client against this server (real CLI, mock Messages API),
 * changing nothing but baseURL and the key.
 */
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { allProcessesGone, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { lastUserMessage, systemText, userText } from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { PNG } from '../helpers/png.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let dir: string
let key: string
let anthropic: Anthropic
beforeAll(async () => {
  dir = await tempDir('anthropic')
  const keysFile = join(dir, 'keys')
  key = (await createKey(keysFile, { name: 'sdk' })).key
  stack = await startTestStack({ keysFile })
  anthropic = new Anthropic({ apiKey: key, baseURL: stack.url, maxRetries: 0 })
})
afterAll(async () => {
  await allProcessesGone(stack.workDir, 10_000)
  await stack?.close()
  await removeDir(dir)
})
beforeEach(() => stack.mock.reset())

const lastRequest = () => stack.mock.messageRequests().at(-1)?.body ?? {}

describe('messages with the official Anthropic client', () => {
  it('answers, with usage and stop_reason', async () => {
    const message = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'What is 2+2?' }],
    })
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'haiku',
      content: [{ type: 'text', text: 'ECHO: What is 2+2?' }],
      stop_reason: 'end_turn',
    })
    expect(message.id).toMatch(/^msg_/)
    expect(message.usage.input_tokens).toBeGreaterThan(0)
    expect(message.usage.output_tokens).toBe(2)
  })

  it('system as a string or blocks, earlier turns as turns, base64 images', async () => {
    await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 100,
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: [{ type: 'text', text: 'Hello Ada.' }] },
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'text', text: 'Who is in the picture?' },
          ],
        },
      ],
    })
    const body = lastRequest()
    expect(systemText(body)).toContain('You are terse.')
    const turns = (body.messages ?? []).filter((m) => m.role !== 'system')
    expect(turns.map((m) => [m.role, userText(m)])).toEqual([
      ['user', 'My name is Ada.'],
      ['assistant', 'Hello Ada.'],
      ['user', 'Who is in the picture?'],
    ])
    const content = (lastUserMessage(body)?.content ?? []) as Array<{ type: string }>
    expect(content[0]).toMatchObject({
      type: 'image',
      source: { data: PNG },
    })
    await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 10,
      system: 'Plain system.',
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(systemText(lastRequest())).toContain('Plain system.')
  })

  it('streams with the exact event sequence, deltas as they come', async () => {
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'one two three four',
      chunks: 4,
      intervalMs: 300,
    }))
    const stream = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    })
    const events: string[] = []
    const deltaTimes: number[] = []
    let text = ''
    const started = Date.now()
    for await (const event of stream) {
      events.push(event.type)
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        text += event.delta.text
        deltaTimes.push(Date.now() - started)
      }
    }
    expect(text).toBe('one two three four')
    const sequence = events.filter((e) => e !== 'ping')
    expect(sequence[0]).toBe('message_start')
    expect(sequence[1]).toBe('content_block_start')
    expect(sequence.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop'])
    expect(sequence.slice(2, -3).every((e) => e === 'content_block_delta')).toBe(true)
    expect((deltaTimes.at(-1) ?? 0) - (deltaTimes[0] ?? 0)).toBeGreaterThan(600)
  })

  it('messages.stream() helper: text events and the final message with usage', async () => {
    const stream = anthropic.messages.stream({
      model: 'haiku',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    })
    const pieces: string[] = []
    stream.on('text', (t) => pieces.push(t))
    const final = await stream.finalMessage()
    expect(pieces.join('')).toBe('ECHO: hi')
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'ECHO: hi' })])
    expect(final.usage.output_tokens).toBe(2)
    expect(final.stop_reason).toBe('end_turn')
  })

  it('the key may come as a Bearer token', async () => {
    const bearer = new Anthropic({
      authToken: key,
      apiKey: null,
      baseURL: stack.url,
      maxRetries: 0,
    })
    const message = await bearer.messages.create({
      model: 'haiku',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'bearer' }],
    })
    expect(message.content[0]).toMatchObject({ text: 'ECHO: bearer' })
  })
})

describe('errors only the Anthropic client has (the shared ones: sdk-dialects.test.ts)', () => {
  it('BadRequestError without max_tokens, with a tool_choice naming no tool, or with assistant prefill', async () => {
    const missing = await anthropic.messages
      .create({
        model: 'haiku',
        messages: [{ role: 'user', content: 'x' }],
      } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(Anthropic.BadRequestError)
    expect((missing as InstanceType<typeof Anthropic.APIError>).message).toMatch(/max_tokens/)
    const tools = await anthropic.messages
      .create({
        model: 'haiku',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ name: 't', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'not_there' },
      })
      .catch((e: unknown) => e)
    expect(tools).toBeInstanceOf(Anthropic.BadRequestError)
    expect((tools as InstanceType<typeof Anthropic.APIError>).message).toMatch(/no tool named/)
    const prefill = await anthropic.messages
      .create({
        model: 'haiku',
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: 'The answer is' },
        ],
      })
      .catch((e: unknown) => e)
    expect(prefill).toBeInstanceOf(Anthropic.BadRequestError)
    expect(stack.mock.messageRequests()).toHaveLength(0)
  })

  it('NotFoundError for an unknown model; count_tokens is an estimate, labelled as one', async () => {
    const model = await anthropic.messages
      .create({ model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)
    expect(model).toBeInstanceOf(Anthropic.NotFoundError)
    const { data, response } = await anthropic.messages
      .countTokens({ model: 'haiku', messages: [{ role: 'user', content: 'x'.repeat(400) }] })
      .withResponse()
    expect(data.input_tokens).toBeGreaterThanOrEqual(100)
    expect(response.headers.get('x-token-count')).toBe('estimate')
    expect(stack.mock.messageRequests()).toHaveLength(0)
  })

  it('overloaded as 529, as the real API sends it', async () => {
    stack.mock.setHandler(() => ({ kind: 'error', status: 529, type: 'overloaded_error' }))
    const overloaded = await anthropic.messages
      .create({ model: 'haiku', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).status).toBe(529)
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: 'overloaded_error' },
    })
  })

  it('the stream helper’s controller.abort() kills the CLI (breaking out: sdk-dialects.test.ts)', async () => {
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'a b c d e f',
      chunks: 6,
      intervalMs: 1_000,
    }))
    const helper = anthropic.messages.stream({
      model: 'haiku',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'y' }],
    })
    helper.on('text', () => helper.controller.abort())
    const error = await helper.finalMessage().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.APIUserAbortError)
    await allProcessesGone(stack.workDir, 10_000)
  })
})

describe('the SDK examples in the README and docs run', () => {
  it.each([
    ['examples/openai.ts', ['README.md', 'docs/sdk-compatibility.md']],
    ['examples/anthropic.ts', ['docs/sdk-compatibility.md']],
    ['examples/agents.ts', ['docs/sdk-compatibility.md']],
  ])('%s', async (file, docs) => {
    const { readFile } = await import('node:fs/promises')
    const { runTs } = await import('../helpers/run-cli.js')
    const source = await readFile(new URL(`../../${file}`, import.meta.url), 'utf8')
    for (const doc of docs) {
      expect(await readFile(new URL(`../../${doc}`, import.meta.url), 'utf8')).toContain(
        source.trim()
      )
    }
    const run = await runTs(file, [], {
      env: { CLAUDE_CODE_API_URL: stack.url, CLAUDE_CODE_API_KEY: key },
    })
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('ECHO: What is 2+2?\nECHO: Tell me a story\n')
    expect(run.code).toBe(0)
  })
})
