/**
 * Generation controls through both official clients (real CLI, a mock that honours them as the
 * real API does): a small token cap ends the answer at it, stop sequences cut it (streamed too,
 * split across deltas), thinking comes back with its signature and is accepted in the next
 * turn, documents reach the model, effort reaches the model, and what cannot be honoured is
 * named in a header.
 */
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { lastUserMessage } from '../../dev-tools/mock-anthropic/server.js'
import { PDF } from '../helpers/pdf.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let anthropic: Anthropic
let openai: OpenAI
beforeAll(async () => {
  stack = await startTestStack()
  anthropic = new Anthropic({ apiKey: 'unused', baseURL: stack.url, maxRetries: 0 })
  openai = new OpenAI({ apiKey: 'unused', baseURL: `${stack.url}/v1`, maxRetries: 0 })
})
afterAll(() => stack?.close())
beforeEach(() => stack.mock.reset())

const LONG = 'one two three four five six seven eight nine ten eleven twelve'
const lastBody = () => stack.mock.messageRequests().at(-1)?.body ?? {}
const userBlocks = () => {
  const content = lastUserMessage(lastBody())?.content
  return (Array.isArray(content) ? content : []) as Array<Record<string, unknown>>
}

describe('a small max_tokens', () => {
  beforeEach(() => stack.mock.setHandler(() => ({ kind: 'text', text: LONG, chunks: 3 })))

  it('ends the Anthropic answer at the cap: stop_reason max_tokens, output tokens within it', async () => {
    const message = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'count' }],
    })
    expect(message.stop_reason).toBe('max_tokens')
    expect(message.usage.output_tokens).toBeLessThanOrEqual(5)
    expect(message.content).toEqual([{ type: 'text', text: LONG.slice(0, 20) }])
    // Asked for 5 tokens, once: the CLI's call to go on is refused by the server's relay.
    expect(stack.mock.messageRequests().map((r) => r.body.max_tokens)).toEqual([5])
  })

  it('makes no billed continuation even when the server is slow to read the CLI', async () => {
    // A loaded machine: the server's event loop is held right after the capped answer leaves.
    stack.mock.afterAnswer(() => {
      for (const until = Date.now() + 800; Date.now() < until; );
    })
    const message = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'count' }],
    })
    expect(message.stop_reason).toBe('max_tokens')
    expect(stack.mock.messageRequests().map((r) => r.body.max_tokens)).toEqual([5])
  })

  it('ends the Responses answer incomplete, output tokens within it', async () => {
    const response = await openai.responses.create({
      model: 'haiku',
      max_output_tokens: 12,
      input: 'count',
    })
    expect(response.status).toBe('incomplete')
    expect(response.incomplete_details?.reason).toBe('max_output_tokens')
    expect(response.usage?.output_tokens).toBeLessThanOrEqual(12)
    expect(stack.mock.messageRequests().map((r) => r.body.max_tokens)).toEqual([12])
  })

  it('ends the OpenAI answer with finish_reason length, streamed too', async () => {
    const completion = await openai.chat.completions.create({
      model: 'haiku',
      max_completion_tokens: 5,
      messages: [{ role: 'user', content: 'count' }],
    })
    expect(completion.choices[0]?.finish_reason).toBe('length')
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(5)
    const stream = await openai.chat.completions.create({
      model: 'haiku',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    })
    let text = ''
    let finish: string | null = null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect([text, finish]).toEqual([LONG.slice(0, 20), 'length'])
    expect(stack.mock.messageRequests().map((r) => r.body.max_tokens)).toEqual([5, 5])
  })
})

describe('stop sequences', () => {
  // Split in 8 deltas, so " STOP" arrives in pieces.
  beforeEach(() =>
    stack.mock.setHandler(() => ({ kind: 'text', text: 'alpha beta STOP gamma', chunks: 8 }))
  )

  it('cut the Anthropic answer before the first match, in a stream as in a message', async () => {
    const message = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 100,
      stop_sequences: ['STOP', 'gamma'],
      messages: [{ role: 'user', content: 'say it' }],
    })
    expect(message).toMatchObject({
      content: [{ type: 'text', text: 'alpha beta ' }],
      stop_reason: 'stop_sequence',
      stop_sequence: 'STOP',
    })
    const stream = anthropic.messages.stream({
      model: 'haiku',
      max_tokens: 100,
      stop_sequences: ['STOP'],
      messages: [{ role: 'user', content: 'say it' }],
    })
    let streamed = ''
    stream.on('text', (delta) => {
      streamed += delta
    })
    const final = await stream.finalMessage()
    expect(streamed).toBe('alpha beta ')
    expect([final.stop_reason, final.stop_sequence]).toEqual(['stop_sequence', 'STOP'])
  })

  it('cut the OpenAI answer before the first match', async () => {
    const completion = await openai.chat.completions.create({
      model: 'haiku',
      stop: 'STOP',
      messages: [{ role: 'user', content: 'say it' }],
    })
    expect(completion.choices[0]?.message.content).toBe('alpha beta ')
    expect(completion.choices[0]?.finish_reason).toBe('stop')
  })
})

describe('thinking and effort', () => {
  it('Anthropic: thinking streams back signed, and is accepted in the next turn', async () => {
    // The CLI asks for adaptive thinking: the mock's model thinks when the prompt says "think".
    const ask = { role: 'user' as const, content: 'think: what is 2+2?' }
    const first = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      output_config: { effort: 'high' },
      messages: [ask],
    } as Anthropic.MessageCreateParamsNonStreaming)
    const [thought, answer] = first.content
    expect(thought).toMatchObject({
      type: 'thinking',
      thinking: 'Thinking about: think: what is 2+2?',
    })
    expect((thought as Anthropic.ThinkingBlock).signature).toMatch(/^mocksig_/)
    expect(answer).toEqual({ type: 'text', text: 'ECHO: think: what is 2+2?' })
    expect(lastBody().output_config).toMatchObject({ effort: 'high' })

    const stream = anthropic.messages.stream({
      model: 'haiku',
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        ask,
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'think: and 3+3?' },
      ],
    })
    let thinking = ''
    stream.on('thinking', (delta) => {
      thinking += delta
    })
    const second = await stream.finalMessage()
    expect(thinking).toBe('Thinking about: think: and 3+3?')
    expect(second.content[0]).toMatchObject({
      type: 'thinking',
      signature: expect.stringMatching(/^mocksig_/),
    })
    expect(second.content[1]).toEqual({ type: 'text', text: 'ECHO: think: and 3+3?' })
  })

  it('Anthropic: no thinking block unless asked for', async () => {
    const message = await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'think: what is 2+2?' }],
    })
    expect(message.content.map((b) => b.type)).toEqual(['text'])
  })

  it('OpenAI: reasoning_effort reaches the model, and the thinking comes back as reasoning_content', async () => {
    const completion = await openai.chat.completions.create({
      model: 'haiku',
      reasoning_effort: 'high',
      messages: [{ role: 'user', content: 'think: what is 2+2?' }],
    })
    const message = completion.choices[0]?.message as {
      reasoning_content?: string
      content: string
    }
    expect(message.reasoning_content).toBe('Thinking about: think: what is 2+2?')
    expect(message.content).toBe('ECHO: think: what is 2+2?')
    expect(lastBody().output_config).toMatchObject({ effort: 'high' })
  })
})

describe('documents', () => {
  it('Anthropic: a PDF and a plain-text document reach the model as documents', async () => {
    await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: PDF },
              title: 'spec',
              citations: { enabled: true },
            },
            {
              type: 'document',
              source: { type: 'text', media_type: 'text/plain', data: 'hello notes' },
            },
            { type: 'text', text: 'Summarize' },
          ],
        },
      ],
    })
    const documents = userBlocks().filter((b) => b.type === 'document')
    expect(documents.map((d) => d.source)).toEqual([
      { type: 'base64', media_type: 'application/pdf', data: PDF },
      { type: 'text', media_type: 'text/plain', data: 'hello notes' },
    ])
  })

  it('OpenAI: a file part (a PDF data URL) reaches the model as a document', async () => {
    await openai.chat.completions.create({
      model: 'haiku',
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'file',
              file: { filename: 'spec.pdf', file_data: `data:application/pdf;base64,${PDF}` },
            },
            { type: 'text', text: 'Summarize' },
          ],
        },
      ],
    })
    const [document] = userBlocks().filter((b) => b.type === 'document')
    expect(document?.source).toEqual({ type: 'base64', media_type: 'application/pdf', data: PDF })
  })

  it('refuses a document kind the model cannot read, by field', async () => {
    const error = await anthropic.messages
      .create({
        model: 'haiku',
        max_tokens: 100,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
            ],
          },
        ],
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.BadRequestError)
    expect(String((error as Error).message)).toMatch(/messages\.0\.content\.0\.source/)
  })
})

describe('what cannot be honoured', () => {
  it('is accepted and named in x-ignored-params, in both dialects', async () => {
    const params = {
      model: 'haiku',
      max_tokens: 100,
      temperature: 0.2,
      top_k: 5,
      messages: [{ role: 'user', content: 'hi' }],
    } as Anthropic.MessageCreateParamsNonStreaming
    const a = await anthropic.messages.create(params).withResponse()
    expect(a.response.headers.get('x-ignored-params')).toBe('temperature, top_k')
    const o = await openai.chat.completions
      .create({ model: 'haiku', seed: 1, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(o.response.headers.get('x-ignored-params')).toBe('seed')
  })
})
