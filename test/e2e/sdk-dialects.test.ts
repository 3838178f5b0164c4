/**
 * What both official clients must see the same way, one table for both dialects (real CLI, mock
 * Messages API): an answer with usage, and each failure raised as the client's own error class,
 * with every CLI process gone after a client that gives up or stops reading.
 */
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { allProcessesGone, processesIn, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createKey } from '../../src/runtime/node/keys-file.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let dir: string
let key: string
beforeAll(async () => {
  dir = await tempDir('dialects')
  const keysFile = join(dir, 'keys')
  key = (await createKey(keysFile, { name: 'sdk' })).key
  stack = await startTestStack({ keysFile })
})
afterAll(async () => {
  await allProcessesGone(stack.workDir, 10_000)
  expect(await processesIn(stack.workDir)).toEqual([])
  await stack?.close()
  await removeDir(dir)
})
beforeEach(() => stack.mock.reset())

type ClientOptions = { key?: string; timeout?: number }

/** One dialect, as a test drives it through its official client. */
type Dialect = {
  name: string
  /** Its error classes, by what they mean. */
  errors: { auth: unknown; rateLimit: unknown; connection: unknown }
  /** One prompt: the answer's text, output tokens and why it stopped. */
  ask(
    prompt: string,
    options?: ClientOptions
  ): Promise<{ text: string; tokens: number; stop: string }>
  /** Streams a prompt and stops reading at its first text. */
  streamAndBreak(prompt: string): Promise<void>
}

const openai = (options: ClientOptions = {}) =>
  new OpenAI({
    apiKey: options.key ?? key,
    baseURL: `${stack.url}/v1`,
    maxRetries: 0,
    ...(options.timeout && { timeout: options.timeout }),
  })
const anthropic = (options: ClientOptions = {}) =>
  new Anthropic({
    apiKey: options.key ?? key,
    baseURL: stack.url,
    maxRetries: 0,
    ...(options.timeout && { timeout: options.timeout }),
  })

const dialects: Dialect[] = [
  {
    name: 'openai',
    errors: {
      auth: OpenAI.AuthenticationError,
      rateLimit: OpenAI.RateLimitError,
      connection: OpenAI.APIConnectionError,
    },
    async ask(prompt, options) {
      const completion = await openai(options).chat.completions.create({
        model: 'haiku',
        messages: [{ role: 'user', content: prompt }],
      })
      const choice = completion.choices[0]
      return {
        text: choice?.message.content ?? '',
        tokens: completion.usage?.completion_tokens ?? -1,
        stop: choice?.finish_reason ?? '',
      }
    },
    async streamAndBreak(prompt) {
      const stream = await openai().chat.completions.create({
        model: 'haiku',
        messages: [{ role: 'user', content: prompt }],
        stream: true,
      })
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break
    },
  },
  {
    name: 'anthropic',
    errors: {
      auth: Anthropic.AuthenticationError,
      rateLimit: Anthropic.RateLimitError,
      connection: Anthropic.APIConnectionError,
    },
    async ask(prompt, options) {
      const message = await anthropic(options).messages.create({
        model: 'haiku',
        max_tokens: 100,
        messages: [{ role: 'user', content: prompt }],
      })
      const [block] = message.content
      return {
        text: block?.type === 'text' ? block.text : '',
        tokens: message.usage.output_tokens,
        stop: message.stop_reason ?? '',
      }
    },
    async streamAndBreak(prompt) {
      const stream = await anthropic().messages.create({
        model: 'haiku',
        max_tokens: 10,
        messages: [{ role: 'user', content: prompt }],
        stream: true,
      })
      for await (const event of stream) if (event.type === 'content_block_delta') break
    },
  },
]

describe.each(dialects)('the $name client', (dialect) => {
  it('gets the answer with the CLI’s token counts and a normal stop', async () => {
    const answer = await dialect.ask('What is 2+2?')
    expect(answer.text).toBe('ECHO: What is 2+2?')
    expect(answer.tokens).toBe(2)
    expect(['stop', 'end_turn']).toContain(answer.stop)
  })

  it('raises its AuthenticationError for a bad key, and nothing runs', async () => {
    const error = await dialect
      .ask('x', { key: 'cca_00000000000000000000000000000000' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(dialect.errors.auth)
    expect(stack.mock.messageRequests()).toHaveLength(0)
  })

  it('raises its RateLimitError with retry-after when the API limits the login', async () => {
    stack.mock.setHandler(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      headers: { 'retry-after': '1' },
    }))
    const error = await dialect.ask('x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(dialect.errors.rateLimit)
    const headers = (error as { headers?: Headers }).headers
    expect(Number(headers?.get('retry-after'))).toBeGreaterThanOrEqual(1)
  })

  it('raises its APIConnectionError when it gives up waiting, and the CLI is killed', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'late', delayMs: 20_000 }))
    const error = await dialect.ask('x', { timeout: 1_500 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(dialect.errors.connection)
    await allProcessesGone(stack.workDir, 10_000)
  })

  it('kills the CLI when the client stops reading a stream', async () => {
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'a b c d e f',
      chunks: 6,
      intervalMs: 1_000,
    }))
    await dialect.streamAndBreak('x')
    await allProcessesGone(stack.workDir, 10_000)
  })
})
