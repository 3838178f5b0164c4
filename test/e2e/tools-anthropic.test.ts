/**
 * Client tool use through the official `@anthropic-ai/sdk` client, on the real CLI: `tool_use`
 * blocks with `stop_reason: "tool_use"` (streamed with `input_json_delta`), and `tool_result`
 * blocks (text or images, `is_error`) that reach the model as real tool results.
 */
import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { PNG } from '../helpers/png.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { WEATHER_TOOL, weatherModel, weatherSchema } from '../helpers/tool-mock.js'

let stack: TestStack
let anthropic: Anthropic
beforeAll(async () => {
  stack = await startTestStack()
  anthropic = new Anthropic({ apiKey: 'unused', baseURL: stack.url, maxRetries: 0 })
})
afterAll(() => stack?.close())
beforeEach(() => {
  stack.mock.reset()
  stack.mock.setHandler(weatherModel)
})

const tools: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Weather for a city',
    input_schema: weatherSchema as Anthropic.Tool.InputSchema,
  },
]
const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' }

describe('tool use with the anthropic client', () => {
  it('passes a tool_result with text and an image on as such (the plain loop: sdk-dialects.test.ts)', async () => {
    const first = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 200,
      messages: [question],
      tools,
    })
    expect(first.stop_reason).toBe('tool_use')
    expect(first.content[0]).toEqual({ type: 'text', text: 'Let me check.' })
    const call = first.content[1] as Anthropic.ToolUseBlock
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } })

    const second = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 200,
      messages: [
        question,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: call.id,
              content: [
                { type: 'text', text: 'cloudy' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              ],
            },
          ],
        },
      ],
      tools,
    })
    expect(second.stop_reason).toBe('end_turn')
    expect(second.content).toEqual([{ type: 'text', text: 'Weather: cloudy' }])
    const [result] = toolResultsOf(stack.mock.messageRequests().at(-1)?.body ?? {})
    expect(result).toMatchObject({ tool_use_id: call.id })
    // The image went through as an image, not as text.
    expect(JSON.stringify(result?.content)).toContain(PNG)
  })

  it('streams tool_use with input_json_delta, and passes is_error on', async () => {
    const stream = anthropic.messages.stream({
      model: 'haiku',
      max_tokens: 200,
      messages: [question],
      tools,
    })
    const types: string[] = []
    stream.on('streamEvent', (event) => {
      if (event.type === 'content_block_delta') types.push(event.delta.type)
    })
    const message = await stream.finalMessage()
    expect(message.stop_reason).toBe('tool_use')
    expect(types).toEqual(expect.arrayContaining(['text_delta', 'input_json_delta']))
    const call = message.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock
    expect(call.input).toEqual({ city: 'Paris' })
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Let me check.' })

    const failed = await anthropic.messages
      .stream({
        model: 'haiku',
        max_tokens: 200,
        messages: [
          question,
          { role: 'assistant', content: message.content },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: call.id,
                content: 'no such city',
                is_error: true,
              },
            ],
          },
        ],
        tools,
      })
      .finalMessage()
    expect(failed.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Tool failed: no such city' }),
    ])
  })

  it('offers nothing with tool_choice none, and refuses server tools', async () => {
    const none = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 200,
      messages: [question],
      tools,
      tool_choice: { type: 'none' },
    })
    expect(none.content).toEqual([{ type: 'text', text: 'ECHO: Weather in Paris?' }])
    expect(stack.mock.messageRequests()[0]?.body.tools ?? []).not.toContainEqual(
      expect.objectContaining({ name: WEATHER_TOOL })
    )
    const server = await anthropic.messages
      .create({
        model: 'haiku',
        max_tokens: 200,
        messages: [question],
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      })
      .catch((e: unknown) => e)
    expect(server).toBeInstanceOf(Anthropic.BadRequestError)
  })
})

describe('fields that would change the meaning', () => {
  it('refuses an unknown field by name instead of dropping it', async () => {
    const error = await anthropic.messages
      .create({
        model: 'haiku',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
        container: 'c_1',
      } as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.BadRequestError)
    expect((error as InstanceType<typeof Anthropic.APIError>).message).toMatch(/container/)
  })
})
