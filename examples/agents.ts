import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool } from '@openai/agents'
import { z } from 'zod'

setTracingDisabled(true) // traces would be sent to OpenAI
const runner = new Runner({
  modelProvider: new OpenAIProvider({
    baseURL: `${process.env.CLAUDE_CODE_API_URL ?? 'http://127.0.0.1:7742'}/v1`,
    apiKey: process.env.CLAUDE_CODE_API_KEY ?? 'unused-when-auth-is-off',
  }),
})
const agent = new Agent({
  name: 'Assistant',
  instructions: 'Be brief.',
  model: 'haiku',
  tools: [
    tool({
      name: 'get_time',
      description: 'The current time',
      parameters: z.object({}),
      execute: async () => new Date().toISOString(),
    }),
  ],
})

const result = await runner.run(agent, 'What is 2+2?')
console.log(result.finalOutput)

const stream = await runner.run(agent, 'Tell me a story', { stream: true })
for await (const delta of stream.toTextStream()) process.stdout.write(delta)
console.log()
