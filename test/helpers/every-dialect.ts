/**
 * One prompt through each of the server's dialects, plain and streamed, as their clients send it
 * (the mock's default handler echoes): for tests of where a key's runs go, whatever the dialect.
 */
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { expect } from 'vitest'

/** Five runs on `url` with `key`: native chat, Messages plain and streamed, Chat Completions streamed, Responses. */
export const everyDialect = async (url: string, key: string) => {
  const anthropic = new Anthropic({ apiKey: key, baseURL: url, maxRetries: 0 })
  const openai = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 })
  const chat = await fetch(`${url}/llm/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'native', model: 'haiku' }),
  })
  expect(chat.status).toBe(200)
  const message = await anthropic.messages.create({
    model: 'haiku',
    max_tokens: 200,
    messages: [{ role: 'user', content: 'messages' }],
  })
  expect(message.content).toEqual([{ type: 'text', text: 'ECHO: messages' }])
  const streamed = await anthropic.messages
    .stream({ model: 'haiku', max_tokens: 200, messages: [{ role: 'user', content: 'stream' }] })
    .finalText()
  expect(streamed).toBe('ECHO: stream')
  let text = ''
  for await (const chunk of await openai.chat.completions.create({
    model: 'haiku',
    messages: [{ role: 'user', content: 'completions' }],
    stream: true,
  })) {
    text += chunk.choices[0]?.delta.content ?? ''
  }
  expect(text).toBe('ECHO: completions')
  const response = await openai.responses.create({ model: 'haiku', input: 'responses' })
  expect(response.output_text).toBe('ECHO: responses')
}
