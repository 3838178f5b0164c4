import OpenAI from 'openai'

const openai = new OpenAI({
  baseURL: `${process.env.CLAUDE_CODE_API_URL ?? 'http://127.0.0.1:7742'}/v1`,
  apiKey: process.env.CLAUDE_CODE_API_KEY ?? 'unused-when-auth-is-off',
})

const completion = await openai.chat.completions.create({
  model: 'sonnet',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is 2+2?' },
  ],
})
console.log(completion.choices[0]?.message.content)

const stream = await openai.chat.completions.create({
  model: 'haiku',
  messages: [{ role: 'user', content: 'Tell me a story' }],
  stream: true,
})
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? '')
console.log()
