import Anthropic from '@anthropic-ai/sdk'

const anthropic = new Anthropic({
  baseURL: process.env.CLAUDE_CODE_API_URL ?? 'http://127.0.0.1:7742',
  apiKey: process.env.CLAUDE_CODE_API_KEY ?? 'unused-when-auth-is-off',
})

const message = await anthropic.messages.create({
  model: 'haiku',
  max_tokens: 1024,
  system: 'Be brief.',
  messages: [{ role: 'user', content: 'What is 2+2?' }],
})
console.log(message.content[0]?.type === 'text' ? message.content[0].text : '')

const stream = anthropic.messages.stream({
  model: 'haiku',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Tell me a story' }],
})
stream.on('text', (text) => process.stdout.write(text))
await stream.finalMessage()
console.log()
