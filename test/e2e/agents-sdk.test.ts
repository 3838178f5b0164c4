/**
 * The OpenAI Agents SDK's default agent (the Responses API, no `setOpenAIAPI`) against the server
 * (real CLI, mock Messages API): a function-tool loop run to its answer, and streamed text.
 */
import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool } from '@openai/agents'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { weatherModel } from '../helpers/tool-mock.js'

let stack: TestStack
let runner: Runner
beforeAll(async () => {
  // Traces would be sent to OpenAI: nothing leaves the machine in tests.
  setTracingDisabled(true)
  stack = await startTestStack()
  runner = new Runner({
    modelProvider: new OpenAIProvider({ baseURL: `${stack.url}/v1`, apiKey: 'unused' }),
  })
})
afterAll(() => stack?.close())
beforeEach(() => {
  stack.mock.reset()
  stack.mock.setHandler(weatherModel)
})

const getWeather = tool({
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => `sunny in ${city}`,
})
const agent = new Agent({
  name: 'Weather',
  instructions: 'Answer with the weather.',
  model: 'haiku',
  tools: [getWeather],
})

describe('the OpenAI Agents SDK (Responses API, its default)', () => {
  it('runs a function-tool loop: the tool runs in the SDK, its result reaches the model', async () => {
    const result = await runner.run(agent, 'Weather in Paris?')
    expect(result.finalOutput).toBe('Weather: sunny in Paris')
    const [toolResult] = toolResultsOf(stack.mock.messageRequests().at(-1)?.body ?? {})
    expect(JSON.stringify(toolResult?.content)).toContain('sunny in Paris')
  })

  it('streams text deltas', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'Hello from the stream', chunks: 3 }))
    const plain = new Agent({ name: 'Plain', instructions: 'Be brief.', model: 'haiku' })
    const result = await runner.run(plain, 'hi', { stream: true })
    const deltas: string[] = []
    for await (const delta of result.toTextStream()) deltas.push(delta)
    await result.completed
    expect(deltas.join('')).toBe('Hello from the stream')
    expect(deltas.length).toBeGreaterThan(1)
  })
})
