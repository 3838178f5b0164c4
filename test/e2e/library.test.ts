/**
 * The library on the real CLI against the mock: ClaudeClient over the local runner and over a
 * remote server, typed errors, aborts that kill the CLI, and the examples in docs/library.md.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as v from 'valibot'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  allProcessesGone,
  cliEnv,
  removeDir,
  TESTED_VERSION,
  tempDir,
  waitFor,
} from '../../dev-tools/cli-env.js'
import {
  lastUserMessage,
  type MockAnthropic,
  startMockAnthropic,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'
import { createApiRunner } from '../../src/adapters/api.js'
import { createNodeRunner, type NodeRunner } from '../../src/adapters/node/runner.js'
import { ClaudeClient, claudeChat, claudeJson } from '../../src/client/client.js'
import {
  DeadlineExceededError,
  NoJsonError,
  RateLimitedError,
  RunAbortedError,
  StructuredOutputError,
  UnauthorizedError,
} from '../../src/errors/index.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { runTs } from '../helpers/run-cli.js'
import { startTestStack } from '../helpers/test-stack.js'
import { weatherModel } from '../helpers/tool-mock.js'

let mock: MockAnthropic
let home: string
let workDir: string
let runner: NodeRunner
let claude: ClaudeClient
beforeAll(async () => {
  mock = await startMockAnthropic()
  home = await tempDir('lib')
  workDir = join(home, 'work')
  runner = createNodeRunner({ env: cliEnv(home, mock.url), workDir, killGraceMs: 1_000 })
  claude = new ClaudeClient({ runner, model: 'haiku' })
})
afterAll(async () => {
  await runner?.close()
  await mock?.close()
  await removeDir(home)
})
beforeEach(() => mock.reset())

describe('ClaudeClient on the local runner', () => {
  it('chat()', async () => {
    const answer = await claude.chat('What is 2+2?', { system: 'Be brief.' })
    expect(answer).toMatchObject({
      text: 'ECHO: What is 2+2?',
      numTurns: 1,
      model: expect.any(String),
    })
    expect(answer.totalCostUsd).toBeGreaterThan(0)
  })

  it('claudeChat() and claudeJson() shorthands', async () => {
    expect(await claudeChat('hi', { runner })).toBe('ECHO: hi')
    mock.setHandler(() => ({ kind: 'text', text: 'Here: {"ok": true}' }))
    expect(await claudeJson('json', { runner })).toEqual({ ok: true })
  })

  it('chatJson() without a schema finds the JSON, or says there is none', async () => {
    mock.setHandler(() => ({ kind: 'text', text: '```json\n{"n": [1, 2]}\n```' }))
    expect(await claude.chatJson('json')).toEqual({ n: [1, 2] })
    mock.setHandler(() => ({ kind: 'text', text: 'no' }))
    await expect(claude.chatJson('json')).rejects.toThrow(NoJsonError)
  })

  it('chatJson() with a valibot schema returns a typed, validated value', async () => {
    const Answer = v.object({ answer: v.number() })
    const result = await claude.chatJson('2+2?', { schema: Answer })
    const answer: number = result.answer
    expect(answer).toBe(4)
    const tool = mock.messageRequests()[0]?.body.tools?.find((t) => t.name === 'StructuredOutput')
    expect(tool?.input_schema).toMatchObject({ type: 'object', required: ['answer'] })

    const Wrong = v.object({ answer: v.string() })
    await expect(claude.chatJson('2+2?', { schema: Wrong })).rejects.toThrow(StructuredOutputError)
  })

  it('chatJson() with a JSON schema', async () => {
    const schema = {
      type: 'object',
      properties: { answer: { type: 'number' } },
      required: ['answer'],
    }
    expect(await claude.chatJson<{ answer: number }>('2+2?', { schema })).toEqual({ answer: 4 })
  })

  it('stream() yields deltas as they come; break kills the run', async () => {
    mock.setHandler(() => ({
      kind: 'text',
      text: 'one two three four five',
      chunks: 5,
      intervalMs: 500,
    }))
    const deltas: string[] = []
    for await (const event of claude.stream('count')) {
      if (event.type === 'text_delta') {
        deltas.push(event.text)
        break
      }
    }
    expect(deltas).toHaveLength(1)
    await allProcessesGone(workDir, 10_000)
  })

  it('stream().textStream() and result()', async () => {
    mock.setHandler(() => ({ kind: 'text', text: 'abc def', chunks: 2 }))
    let text = ''
    for await (const piece of claude.stream('x').textStream()) text += piece
    expect(text).toBe('abc def')
    expect((await claude.stream('y').result()).text).toBe('abc def')
  })

  it('an AbortSignal stops the run with RunAbortedError and kills the CLI', async () => {
    mock.setHandler(() => ({ kind: 'text', text: 'late', delayMs: 20_000 }))
    const controller = new AbortController()
    const pending = claude.chat('slow', { signal: controller.signal })
    await waitFor(() => mock.messageRequests().length > 0)
    controller.abort()
    await expect(pending).rejects.toThrow(RunAbortedError)
    await allProcessesGone(workDir, 10_000)
  })

  it('timeoutMs ends a slow call with DeadlineExceededError', async () => {
    mock.setHandler(() => ({ kind: 'text', text: 'late', delayMs: 20_000 }))
    await expect(claude.chat('slow', { timeoutMs: 1_500 })).rejects.toThrow(DeadlineExceededError)
    await allProcessesGone(workDir, 10_000)
  })

  it('query() with an image, and a session resumed across calls', async () => {
    const png =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC'
    const first = await claude.query({
      prompt: 'Remember this picture.',
      images: [{ data: png, mediaType: 'image/png' }],
      persistSession: true,
    })
    const content = lastUserMessage(mock.messageRequests().at(-1)?.body ?? {})?.content as Array<{
      type: string
      text?: string
    }>
    expect(content[0]).toMatchObject({ type: 'image', source: { data: png } })
    // In a kept session the CLI also notes where it saved the image, in a text block of its own.
    expect(content.some((b) => b.text?.trim() === 'Remember this picture.')).toBe(true)
    const second = await claude.query({
      prompt: 'What did I send?',
      sessionId: first.sessionId ?? '',
    })
    expect(second.sessionId).toBe(first.sessionId)
    const turns = (mock.messageRequests().at(-1)?.body.messages ?? []).filter(
      (m) => m.role !== 'system'
    )
    expect(turns.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
    expect(turns[0]?.content).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'image' })])
    )
    expect(userText(turns[1])).toMatch(/^ECHO: /)
    expect(userText(turns[2])).toBe('What did I send?')
  })

  it('rate limits surface as RateLimitedError with a retry time', async () => {
    mock.setHandler(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      headers: { 'retry-after': '1' },
    }))
    const error = await claude.chat('hi').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitedError)
    expect((error as RateLimitedError).retryAfter).toBeGreaterThanOrEqual(1)
  })
})

describe('ClaudeClient over a remote server', () => {
  it('chat, stream and typed errors through the HTTP API with a key', async () => {
    const dir = await tempDir('lib-remote')
    const keysFile = join(dir, 'keys')
    const { key } = await createKey(keysFile, { name: 'lib', policy: { models: ['haiku'] } })
    const server = await startTestStack({ keysFile })
    try {
      const remote = new ClaudeClient({ runner: createApiRunner({ url: server.url, key }) })
      expect((await remote.chat('over http')).text).toBe('ECHO: over http')
      let streamed = ''
      for await (const piece of remote.stream('streamed').textStream()) streamed += piece
      expect(streamed).toBe('ECHO: streamed')
      await expect(remote.chat('x', { model: 'opus' })).rejects.toMatchObject({
        status: 403,
        type: 'forbidden',
      })
      // What the public API cannot carry is refused, not dropped.
      await expect(remote.chatJson('x', { schema: { type: 'object' } })).rejects.toMatchObject({
        type: 'forbidden',
      })
      const anonymous = new ClaudeClient({ runner: createApiRunner({ url: server.url }) })
      await expect(anonymous.chat('x')).rejects.toThrow(UnauthorizedError)
      expect((await remote.runner.status()).version).toMatch(TESTED_VERSION)
    } finally {
      await server.close()
      await removeDir(dir)
    }
  })
})

describe('the examples in docs/library.md run', () => {
  it.each([
    ['examples/chat.ts', /^ECHO: What is 2\+2\?\ncost: \$0\.\d{6}, session: [0-9a-f-]{36}\n$/],
    ['examples/json.ts', /^5\n$/],
    ['examples/stream.ts', /^ECHO: Tell me a story\n\(2 tokens\)\n$/],
  ])('%s', async (file, expected) => {
    const doc = await readFile(new URL('../../docs/library.md', import.meta.url), 'utf8')
    const source = await readFile(new URL(`../../${file}`, import.meta.url), 'utf8')
    expect(doc).toContain(source.trim())
    const run = await runTs(file, [], { env: cliEnv(home, mock.url) })
    expect(run.stderr).toBe('')
    expect(run.stdout).toMatch(expected)
    expect(run.code).toBe(0)
  })

  it('examples/tools.ts', async () => {
    const doc = await readFile(new URL('../../docs/library.md', import.meta.url), 'utf8')
    const source = await readFile(new URL('../../examples/tools.ts', import.meta.url), 'utf8')
    expect(doc).toContain(source.trim())
    mock.setHandler(weatherModel)
    try {
      const run = await runTs('examples/tools.ts', [], { env: cliEnv(home, mock.url) })
      expect(run.stderr).toBe('')
      expect(run.stdout).toBe('Weather: sunny in Paris\n')
      expect(run.code).toBe(0)
    } finally {
      mock.reset()
    }
  })
})
