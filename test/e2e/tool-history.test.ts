/**
 * Earlier tool calls in a conversation a client sends again reach the model as what they were,
 * in every dialect (real CLI, mock API): `tool_use` and `tool_result` blocks in their places,
 * under the name the model knew the client's tool by, never a transcript in words.
 */
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { MessagesBody } from '../../dev-tools/mock-anthropic/server.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

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
