/**
 * The SDKs' own tool loops against this server, on the real CLI: the openai client's
 * `chat.completions.runTools` and the Anthropic client's `beta.messages.toolRunner` run a
 * function the model calls and get the model's answer to its result.
 */
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { weatherModel, weatherSchema } from '../helpers/tool-mock.js'

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(() => stack?.close())
beforeEach(() => {
  stack.mock.reset()
  stack.mock.setHandler(weatherModel)
})

describe("the SDKs' tool loops", () => {
  it('openai chat.completions.runTools', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${stack.url}/v1`, maxRetries: 0 })
    const cities: string[] = []
    const runner = openai.chat.completions.runTools({
      model: 'haiku',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: weatherSchema,
            parse: (text: string) => JSON.parse(text) as { city: string },
            function: (args: { city: string }) => {
              cities.push(args.city)
              return `sunny in ${args.city}`
            },
          },
        },
      ],
    })
    expect(await runner.finalContent()).toBe('Weather: sunny in Paris')
    expect(cities).toEqual(['Paris'])
  })

  it('anthropic beta.messages.toolRunner', async () => {
    const anthropic = new Anthropic({ apiKey: 'unused', baseURL: stack.url, maxRetries: 0 })
    const final = await anthropic.beta.messages
      .toolRunner({
        model: 'haiku',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [
          {
            name: 'get_weather',
            input_schema: weatherSchema as Anthropic.Beta.BetaTool.InputSchema,
            parse: (input: unknown) => input as { city: string },
            run: (input: { city: string }) => `rain in ${input.city}`,
          },
        ],
      })
      .runUntilDone()
    expect(final.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Weather: rain in Paris' }),
    ])
    // The model got the real tool result.
    expect(toolResultsOf(stack.mock.messageRequests().at(-1)?.body ?? {})).toHaveLength(1)
  })
})
