/**
 * The Responses API through the official `openai` client (real CLI, mock Messages API): an
 * answer with usage, a conversation continued by `previous_response_id` as real turns, the
 * streamed event sequence, a token cap that ends `incomplete`, function tools (stored and
 * stateless follow-ups), and stored responses fetched, listed and deleted.
 */
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { WEATHER_TOOL, weatherModel, weatherSchema } from '../helpers/tool-mock.js'

let stack: TestStack
let openai: OpenAI
beforeAll(async () => {
  stack = await startTestStack()
  openai = new OpenAI({ apiKey: 'unused', baseURL: `${stack.url}/v1`, maxRetries: 0 })
})
afterAll(() => stack?.close())
beforeEach(() => stack.mock.reset())

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: weatherSchema,
  strict: false,
}
const turnsAtModel = () =>
  (stack.mock.messageRequests().at(-1)?.body.messages ?? []).filter((m) => m.role !== 'system')

describe('responses.create', () => {
  it('answers with output_text, usage and status completed', async () => {
    const response = await openai.responses.create({
      model: 'haiku',
      instructions: 'Be brief.',
      input: 'What is 2+2?',
    })
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'haiku' })
    expect(response.output_text).toBe('ECHO: What is 2+2?')
    expect(response.output[0]).toMatchObject({
      type: 'message',
      role: 'assistant',
      status: 'completed',
    })
    expect(response.usage?.output_tokens).toBe(2)
    expect(response.id).toMatch(/^resp_/)
  })

  it('continues a stored conversation with previous_response_id, as real turns', async () => {
    const first = await openai.responses.create({ model: 'haiku', input: 'Remember ZEBRA' })
    const second = await openai.responses.create({
      model: 'haiku',
      previous_response_id: first.id,
      input: [{ role: 'user', content: 'Which word?' }],
    })
    expect(second.output_text).toBe('ECHO: Which word?')
    expect(turnsAtModel().map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
    expect(JSON.stringify(turnsAtModel()[1])).toContain('ECHO: Remember ZEBRA')
    // Stored: fetched, its input listed, then deleted (and gone).
    expect((await openai.responses.retrieve(first.id)).output_text).toBe('ECHO: Remember ZEBRA')
    const items = await openai.responses.inputItems.list(second.id)
    expect(JSON.stringify(items.data)).toContain('Which word?')
    await openai.responses.delete(first.id)
    await expect(openai.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError)
  })

  it('keeps nothing with store: false', async () => {
    const response = await openai.responses.create({ model: 'haiku', input: 'x', store: false })
    await expect(openai.responses.retrieve(response.id)).rejects.toBeInstanceOf(
      OpenAI.NotFoundError
    )
  })

  it('ends incomplete at a small max_output_tokens', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'one two three four five six '.repeat(5) }))
    const response = await openai.responses.create({
      model: 'haiku',
      input: 'count',
      max_output_tokens: 16,
    })
    expect(response.status).toBe('incomplete')
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' })
    expect(response.usage?.output_tokens).toBeLessThanOrEqual(16)
  })
})

describe('responses.stream', () => {
  it('yields created, in_progress, the text deltas and completed with usage, in sequence', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'Hello there', chunks: 3 }))
    const stream = openai.responses.stream({ model: 'haiku', input: 'hi' })
    const events: Array<{ type: string; sequence_number: number }> = []
    let text = ''
    for await (const event of stream) {
      events.push(event)
      if (event.type === 'response.output_text.delta') text += event.delta
    }
    const final = await stream.finalResponse()
    expect(text).toBe('Hello there')
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
    const types = events.map((e) => e.type)
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ])
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(final.usage?.output_tokens).toBe(2)
    expect(final.output_text).toBe('Hello there')
  })
})

describe('a run that fails', () => {
  it('ends its stream with response.failed carrying the error; a plain request is the HTTP error', async () => {
    stack.mock.setHandler(() => ({ kind: 'error', status: 500, type: 'api_error' }))
    const res = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'haiku', input: 'x', stream: true }),
    })
    const events = (await res.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)))
    const last = events.at(-1)
    expect(last).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'upstream_error' } },
    })
    expect(last.sequence_number).toBe(events.length - 1)
    const plain = await openai.responses.create({ model: 'haiku', input: 'x' }).catch((e) => e)
    expect(plain).toBeInstanceOf(OpenAI.APIError)
    expect((plain as InstanceType<typeof OpenAI.APIError>).status).toBe(502)
  })
})

describe('function tools', () => {
  beforeEach(() => stack.mock.setHandler(weatherModel))

  it('returns function_call items, and a function_call_output continues the waiting run', async () => {
    const first = await openai.responses.create({
      model: 'haiku',
      input: 'Weather in Paris?',
      tools: [weather],
    })
    const call = first.output.find((item) => item.type === 'function_call')
    expect(call).toMatchObject({
      type: 'function_call',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    })
    const second = await openai.responses.create({
      model: 'haiku',
      previous_response_id: first.id,
      input: [
        {
          type: 'function_call_output',
          call_id: (call as { call_id: string }).call_id,
          output: 'sunny',
        },
      ],
      tools: [weather],
    })
    expect(second.output_text).toBe('Weather: sunny')
    const [result] = toolResultsOf(stack.mock.messageRequests().at(-1)?.body ?? {})
    expect(result).toMatchObject({ tool_use_id: (call as { call_id: string }).call_id })
  })

  it('continues statelessly with the whole input (what Codex sends)', async () => {
    const question: OpenAI.Responses.ResponseInputItem = {
      role: 'user',
      content: 'Weather in Paris?',
    }
    const first = await openai.responses.create({
      model: 'haiku',
      input: [question],
      tools: [weather],
      store: false,
    })
    const call = first.output.find(
      (item) => item.type === 'function_call'
    ) as OpenAI.Responses.ResponseFunctionToolCall
    const second = await openai.responses
      .create({
        model: 'haiku',
        store: false,
        input: [
          question,
          {
            type: 'function_call',
            call_id: call.call_id,
            name: call.name,
            arguments: call.arguments,
          },
          { type: 'function_call_output', call_id: call.call_id, output: 'rainy' },
        ],
        tools: [weather, { type: 'web_search' }],
      })
      .withResponse()
    expect(second.data.output_text).toBe('Weather: rainy')
    expect(second.response.headers.get('x-ignored-tools')).toBe('web_search')
    expect(
      stack.mock.messageRequests().some((r) => r.body.tools?.some((t) => t.name === WEATHER_TOOL))
    ).toBe(true)
  })

  it('streams a function call as its item, arguments and done events', async () => {
    const stream = openai.responses.stream({
      model: 'haiku',
      input: 'Weather in Paris?',
      tools: [weather],
    })
    const types: string[] = []
    let args = ''
    for await (const event of stream) {
      types.push(event.type)
      if (event.type === 'response.function_call_arguments.done') args = event.arguments
    }
    expect(args).toBe('{"city":"Paris"}')
    expect(types).toContain('response.function_call_arguments.delta')
    expect(types.at(-1)).toBe('response.completed')
    const final = await stream.finalResponse()
    expect(final.output.map((item) => item.type)).toEqual(['message', 'function_call'])
  })
})

describe('structured output and reasoning', () => {
  it('text.format json_schema: the output text is the validated JSON', async () => {
    const response = await openai.responses.create({
      model: 'haiku',
      input: 'What is 2+2?',
      text: {
        format: {
          type: 'json_schema',
          name: 'answer',
          schema: {
            type: 'object',
            properties: { answer: { type: 'number' } },
            required: ['answer'],
          },
        },
      },
    })
    expect(JSON.parse(response.output_text)).toEqual({ answer: 4 })
  })

  it('reasoning with a summary: effort reaches the model, the thinking comes back as a reasoning item', async () => {
    const response = await openai.responses.create({
      model: 'haiku',
      input: 'think: what is 2+2?',
      reasoning: { effort: 'high', summary: 'auto' },
    })
    const [reasoning, message] = response.output
    expect(reasoning).toMatchObject({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: 'Thinking about: think: what is 2+2?' }],
    })
    expect(message).toMatchObject({ type: 'message' })
    expect(stack.mock.messageRequests().at(-1)?.body.output_config).toMatchObject({
      effort: 'high',
    })
    expect(stack.mock.messageRequests().at(-1)?.body.thinking).toMatchObject({
      display: 'summarized',
    })
  })
})
