/**
 * What both official clients must see the same way, one table for both dialects (real CLI, mock
 * Messages API): an answer with usage, a client tool's call and the answer to its result, and
 * each failure raised as the client's own error class, with every CLI process gone after a
 * client that gives up or stops reading. What only one dialect has: sdk-*.test.ts, tools-*.test.ts.
 */
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { allProcessesGone, processesIn, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { question as openaiQuestion, tools as openaiTools } from '../helpers/openai-tools.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { WEATHER_TOOL, weatherModel, weatherSchema } from '../helpers/tool-mock.js'

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
  errors: { auth: unknown; rateLimit: unknown; connection: unknown; conflict: unknown }
  /** One prompt: the answer's text, output tokens and why it stopped. */
  ask(
    prompt: string,
    options?: ClientOptions
  ): Promise<{ text: string; tokens: number; stop: string }>
  /** Streams a prompt and stops reading at its first text. */
  streamAndBreak(prompt: string): Promise<void>
  /** The weather question with the weather tool: the call, `between`, then the answer to `result`. */
  toolLoop(
    result: string,
    between: () => Promise<void>
  ): Promise<{ stops: string[]; call: ToolCallSeen; answer: string }>
  /** A result for a call no run waits on. */
  lateResult(): Promise<unknown>
}

const parked = async () =>
  (
    await (
      await fetch(`${stack.url}/llm/status`, { headers: { authorization: `Bearer ${key}` } })
    ).json()
  ).processes.parked as number

type ToolCallSeen = { id: string; name: string; input: unknown }

const anthropicTools: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Weather for a city',
    input_schema: weatherSchema as Anthropic.Tool.InputSchema,
  },
]
const anthropicQuestion: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' }

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
      conflict: OpenAI.ConflictError,
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
    async toolLoop(result, between) {
      const ask = (messages: OpenAI.ChatCompletionMessageParam[]) =>
        openai().chat.completions.create({ model: 'haiku', messages, tools: openaiTools })
      const first = (await ask([openaiQuestion])).choices[0]
      const made = first?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall
      const call = {
        id: made.id,
        name: made.function.name,
        input: JSON.parse(made.function.arguments),
      }
      await between()
      const second = await ask([
        openaiQuestion,
        first?.message as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: made.id, content: result },
      ])
      return {
        stops: [first?.finish_reason ?? '', second.choices[0]?.finish_reason ?? ''],
        call,
        answer: second.choices[0]?.message.content ?? '',
      }
    },
    lateResult: () =>
      openai()
        .chat.completions.create({
          model: 'haiku',
          messages: [
            openaiQuestion,
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: 'toolu_gone',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '{}' },
                },
              ],
            },
            { role: 'tool', tool_call_id: 'toolu_gone', content: 'late' },
          ],
          tools: openaiTools,
        })
        .catch((e: unknown) => e),
  },
  {
    name: 'anthropic',
    errors: {
      auth: Anthropic.AuthenticationError,
      rateLimit: Anthropic.RateLimitError,
      connection: Anthropic.APIConnectionError,
      conflict: Anthropic.ConflictError,
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
    async toolLoop(result, between) {
      const ask = (messages: Anthropic.MessageParam[]) =>
        anthropic().messages.create({
          model: 'haiku',
          max_tokens: 200,
          messages,
          tools: anthropicTools,
        })
      const first = await ask([anthropicQuestion])
      const made = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock
      await between()
      const second = await ask([
        anthropicQuestion,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: made.id, content: result }] },
      ])
      const [block] = second.content
      return {
        stops: [first.stop_reason ?? '', second.stop_reason ?? ''],
        call: { id: made.id, name: made.name, input: made.input },
        answer: block?.type === 'text' ? block.text : '',
      }
    },
    lateResult: () =>
      anthropic()
        .messages.create({
          model: 'haiku',
          max_tokens: 200,
          messages: [
            anthropicQuestion,
            {
              role: 'assistant',
              content: [{ type: 'tool_use', id: 'toolu_gone', name: 'get_weather', input: {} }],
            },
            {
              role: 'user',
              content: [{ type: 'tool_result', tool_use_id: 'toolu_gone', content: 'late' }],
            },
          ],
          tools: anthropicTools,
        })
        .catch((e: unknown) => e),
  },
]

describe.each(dialects)('the $name client', (dialect) => {
  it('gets the answer with the CLI’s token counts and a normal stop', async () => {
    const answer = await dialect.ask('What is 2+2?')
    expect(answer.text).toBe('ECHO: What is 2+2?')
    expect(answer.tokens).toBe(2)
    expect(['stop', 'end_turn']).toContain(answer.stop)
  })

  it('returns the tool call, then answers with the result the client sends, in one conversation', async () => {
    stack.mock.setHandler(weatherModel)
    // The run waits for the result with its CLI process, and is done once it came.
    const { stops, call, answer } = await dialect.toolLoop('sunny, 21°C', async () => {
      expect(await parked()).toBe(1)
    })
    expect(await parked()).toBe(0)
    expect(stops[0]).toMatch(/^tool_(calls|use)$/)
    expect(call).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } })
    expect(answer).toBe('Weather: sunny, 21°C')
    expect(['stop', 'end_turn']).toContain(stops[1])
    // The model was offered the client's tool, and got a real tool result for the real call.
    const requests = stack.mock.messageRequests()
    const offered = requests[0]?.body.tools?.find((t) => t.name === WEATHER_TOOL)
    expect(offered?.input_schema).toEqual(weatherSchema)
    const last = requests.at(-1)?.body ?? {}
    expect(toolResultsOf(last)).toEqual([
      expect.objectContaining({
        tool_use_id: call.id,
        content: [{ type: 'text', text: 'sunny, 21°C' }],
      }),
    ])
    expect(JSON.stringify(last.messages)).toContain('Weather in Paris?')
    await allProcessesGone(stack.workDir, 10_000)
  })

  it('raises its ConflictError for a result no run waits on, and nothing runs', async () => {
    const error = await dialect.lateResult()
    expect(error).toBeInstanceOf(dialect.errors.conflict)
    expect((error as Error).message).toMatch(/No run is waiting/)
    expect(stack.mock.messageRequests()).toHaveLength(0)
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
