import { ClaudeClient } from 'claude-code-api'

const claude = new ClaudeClient({ model: 'haiku' })
// The model calls get_weather; your function runs; its answer goes back to the model.
const answer = await claude.runTools('What is the weather in Paris?', {
  get_weather: {
    description: 'Current weather for a city',
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    run: async ({ city }: { city: string }) => `sunny in ${city}`,
  },
})
console.log(answer.text)
