/** The weather function as the openai client declares it, and the question that calls it. */
import type OpenAI from 'openai'
import { weatherSchema } from './tool-mock.js'

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
