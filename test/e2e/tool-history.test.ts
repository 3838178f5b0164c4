/**
 * Earlier tool calls in a conversation a client sends again reach the model as what they were,
 * in every dialect (real CLI, mock API): `tool_use` and `tool_result` blocks in their places,
 * under the name the model knew the client's tool by, never a transcript in words.
 */
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { ResponseInputItem } from 'openai/resources/responses/responses'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { MessagesBody } from '../../dev-tools/mock-anthropic/server.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { weatherModel } from '../helpers/tool-mock.js'
import { blocksOfType, expectEachExtends } from '../helpers/upstream-turns.js'

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(() => stack?.close())
beforeEach(() => stack.mock.reset())

const weather = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object' as const, properties: { city: { type: 'string' } } },
}

type Seen = { role: string; type?: string; text?: unknown } & Record<string, unknown>

/** The conversation the model got, its own entries (system reminders) left out. */
const seen = (): Seen[] => {
  const body = stack.mock.messageRequests().at(-1)?.body as MessagesBody
  return (body.messages ?? [])
    .filter((m) => m.role !== 'system')
    .flatMap((m) =>
      (Array.isArray(m.content) ? m.content : [{ type: 'text', text: m.content }]).map(
        (b: Record<string, unknown>): Seen => ({ role: m.role, ...b })
      )
    )
    .filter((b) => !(b.type === 'text' && String(b.text).startsWith('<system-reminder>')))
}

const expectBlocks = (id: string) => {
  const blocks = seen()
  expect(blocks.map((b) => `${b.role}:${b.type}`)).toEqual([
    'user:text',
    'assistant:tool_use',
    'user:tool_result',
    'assistant:text',
    'user:text',
  ])
  expect(blocks[1]).toMatchObject({
    id,
    name: 'mcp__client__get_weather',
    input: { city: 'Rome' },
  })
  expect(blocks[2]).toMatchObject({ tool_use_id: id })
  expect(JSON.stringify(blocks[2])).toContain('rain')
  expect(JSON.stringify(blocks)).not.toMatch(/called tool|returned:/)
}

describe('an earlier tool call in the history', () => {
  it('stays blocks through the Anthropic Messages API', async () => {
    const anthropic = new Anthropic({ apiKey: 'unused', baseURL: stack.url, maxRetries: 0 })
    const answer = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 100,
      tools: [
        { name: weather.name, description: weather.description, input_schema: weather.parameters },
      ],
      messages: [
        { role: 'user', content: 'Weather in Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'rain' }],
        },
        { role: 'assistant', content: 'It rains in Rome.' },
        { role: 'user', content: 'Thanks!' },
      ],
    })
    expect(answer.content).toEqual([{ type: 'text', text: 'ECHO: Thanks!' }])
    expectBlocks('toolu_1')
  })

  it('stays blocks through OpenAI Responses, sent statelessly', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${stack.url}/v1`, maxRetries: 0 })
    const answer = await openai.responses.create({
      model: 'haiku',
      store: false,
      tools: [{ type: 'function', strict: false, ...weather }],
      input: [
        { role: 'user', content: 'Weather in Rome?' },
        {
          type: 'function_call',
          call_id: 'call_9',
          name: 'get_weather',
          arguments: '{"city":"Rome"}',
        },
        { type: 'function_call_output', call_id: 'call_9', output: 'rain' },
        { role: 'assistant', content: 'It rains in Rome.' },
        { role: 'user', content: 'Thanks!' },
      ],
    })
    expect(answer.output_text).toBe('ECHO: Thanks!')
    expectBlocks('call_9')
  })
})

/**
 * Two rounds of an agent loop (a tool call, its result, the answer, the next question) on a
 * server that holds conversations, the client resending its whole conversation each time: they
 * go on in the process that holds them, each upstream request extending the one before.
 */
const heldAgentLoop = async (round: (openai: OpenAI, next: string) => Promise<void>) => {
  const held = await startTestStack({ heldConversations: 4 })
  held.mock.setHandler(weatherModel)
  const openai = new OpenAI({ apiKey: 'unused', baseURL: `${held.url}/v1`, maxRetries: 0 })
  try {
    for (const next of ['And tomorrow?', 'Thanks!']) await round(openai, next)
    const requests = held.mock.messageRequests()
    expect(requests).toHaveLength(4)
    expectEachExtends(requests)
    expect(blocksOfType(requests.at(-1), 'tool_use')).toHaveLength(2)
    expect(blocksOfType(requests.at(-1), 'tool_result')).toHaveLength(2)
    const status = await (await fetch(`${held.url}/llm/status`)).json()
    expect(status.processes).toMatchObject({ continued: 1, held: 1 })
  } finally {
    await held.close()
  }
}

describe('an agent loop through Chat Completions, on a server that holds conversations', () => {
  it('goes on in the process that holds it, each request extending the one before', async () => {
    const tools = [{ type: 'function' as const, function: weather }]
    // The whole conversation resent on every request, as agent frameworks do.
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }]
    await heldAgentLoop(async (openai, next) => {
      const asked = await openai.chat.completions.create({ model: 'haiku', tools, messages })
      const call = asked.choices[0]?.message
      expect(call?.tool_calls).toHaveLength(1)
      messages.push(call as ChatCompletionMessageParam)
      const id = call?.tool_calls?.[0]?.id as string
      messages.push({ role: 'tool', tool_call_id: id, content: 'sunny' })
      const answer = await openai.chat.completions.create({ model: 'haiku', tools, messages })
      expect(answer.choices[0]?.message.content).toBe('Weather: sunny')
      messages.push(
        { role: 'assistant', content: 'Weather: sunny' },
        { role: 'user', content: next }
      )
    })
  })
})

describe('an agent loop through Responses, sent statelessly, on a server that holds conversations', () => {
  it('goes on in the process that holds it, each request extending the one before', async () => {
    const tools = [{ type: 'function' as const, strict: false, ...weather }]
    // Nothing stored: the client resends its whole input on every request.
    const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }]
    await heldAgentLoop(async (openai, next) => {
      const ask = () => openai.responses.create({ model: 'haiku', store: false, tools, input })
      const asked = await ask()
      const calls = asked.output.filter((item) => item.type === 'function_call')
      expect(calls).toHaveLength(1)
      // Everything the model said, as the Agents SDK sends it back: its text and its call.
      input.push(...(asked.output as ResponseInputItem[]))
      input.push({
        type: 'function_call_output',
        call_id: calls[0]?.call_id ?? '',
        output: 'sunny',
      })
      const answer = await ask()
      expect(answer.output_text).toBe('Weather: sunny')
      input.push({ role: 'assistant', content: 'Weather: sunny' }, { role: 'user', content: next })
    })
  })
})
