/**
 * A real agent framework through the server: the Vercel AI SDK's `generateText` with tools and
 * several steps, over its OpenAI-compatible provider, on the real CLI. The model calls one tool,
 * then another after seeing the first result, then answers: three steps, one waiting run.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { generateText, jsonSchema, stepCountIs, tool } from 'ai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MockHandler } from '../../dev-tools/mock-anthropic/server.js'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { WEATHER_TOOL } from '../helpers/tool-mock.js'

/** Asks for Paris, then for Rome once it has Paris, then answers with both. */
const twoCities: MockHandler = (request) => {
  const seen = JSON.stringify(request.body.messages)
  const [result] = toolResultsOf(request.body)
  if (!result) return { kind: 'tool', name: WEATHER_TOOL, input: { city: 'Paris' } }
  if (!seen.includes('in Rome'))
    return { kind: 'tool', name: WEATHER_TOOL, input: { city: 'Rome' } }
  return { kind: 'text', text: 'Paris and Rome: both checked.' }
}

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
  stack.mock.setHandler(twoCities)
})
afterAll(() => stack?.close())

describe('the Vercel AI SDK', () => {
  it('runs a multi-step tool loop with generateText', async () => {
    const provider = createOpenAICompatible({
      name: 'claude-code-api',
      baseURL: `${stack.url}/v1`,
      apiKey: 'unused',
    })
    const cities: string[] = []
    const result = await generateText({
      model: provider('haiku'),
      prompt: 'Compare the weather in Paris and Rome.',
      tools: {
        get_weather: tool({
          description: 'Weather for a city',
          inputSchema: jsonSchema<{ city: string }>({
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          }),
          execute: async ({ city }) => {
            cities.push(city)
            return `sunny in ${city}`
          },
        }),
      },
      stopWhen: stepCountIs(5),
    })
    expect(cities).toEqual(['Paris', 'Rome'])
    expect(result.steps).toHaveLength(3)
    expect(result.text).toBe('Paris and Rome: both checked.')
  })
})
