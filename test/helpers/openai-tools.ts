/** The weather function as the openai client declares it, and the question that calls it. */
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { startTestStack, type TestStack } from './test-stack.js'
import { weatherModel, weatherSchema } from './tool-mock.js'

export const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: { name: 'get_weather', description: 'Weather for a city', parameters: weatherSchema },
  },
]
export const question: OpenAI.ChatCompletionMessageParam = {
  role: 'user',
  content: 'Weather in Paris?',
}

/** Per test file: a server on the real CLI answering with the weather model, and an openai client. */
export const setupWeatherServer = () => {
  const ctx = {} as { stack: TestStack; openai: OpenAI }
  beforeAll(async () => {
    ctx.stack = await startTestStack()
    ctx.openai = new OpenAI({ apiKey: 'unused', baseURL: `${ctx.stack.url}/v1`, maxRetries: 0 })
  })
  afterAll(() => ctx.stack?.close())
  beforeEach(() => {
    ctx.stack.mock.reset()
    ctx.stack.mock.setHandler(weatherModel)
  })
  return ctx
}
