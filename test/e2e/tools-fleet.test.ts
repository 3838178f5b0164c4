/**
 * Through a front door with two runner hosts (real CLI on each): a tool call's follow-up, a kept
 * session and a message thread each go to the host that holds them, every time, though runs
 * otherwise take turns.
 */
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv } from '../../dev-tools/cli-env.js'
import type { MockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import type { RunningServer } from '../../src/runtime/node/entry.js'
import { type Fleet, startFleet } from '../helpers/fleet.js'
import { weatherModel, weatherSchema } from '../helpers/tool-mock.js'

let fleet: Fleet
let mocks: MockAnthropic[]
let front: RunningServer
let openai: OpenAI
beforeAll(async () => {
  fleet = await startFleet('tools-fleet', cliEnv)
  ;({ mocks, front } = fleet)
  for (const mock of mocks) mock.setHandler(weatherModel)
  openai = new OpenAI({ apiKey: 'unused', baseURL: `${front.url}/v1`, maxRetries: 0 })
})
afterAll(() => fleet?.close())

const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: weatherSchema } },
]

describe('tool calls behind a front door', () => {
  it('sends each follow-up to the host whose run waits for it', async () => {
    for (const city of ['one', 'two', 'three']) {
      const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: city }
      const first = await openai.chat.completions.create({
        model: 'haiku',
        messages: [question],
        tools,
      })
      const message = first.choices[0]?.message as OpenAI.ChatCompletionMessage
      const call = message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall
      expect(call.id).toMatch(/^toolu_mock_[0-9a-f]+~[0-9a-z]+$/)
      const reached = mocks.map((m) => m.messageRequests().length)
      const answer = await openai.chat.completions.create({
        model: 'haiku',
        messages: [question, message, { role: 'tool', tool_call_id: call.id, content: city }],
        tools,
      })
      expect(answer.choices[0]?.message.content).toBe(`Weather: ${city}`)
      // The follow-up reached the model through the host that made the call.
      const after = mocks.map((m) => m.messageRequests().length)
      expect(after.filter((n, i) => n > (reached[i] ?? 0))).toHaveLength(1)
    }
    // Both hosts served runs: without routing, a follow-up would have hit the other one.
    expect(mocks.every((m) => m.messageRequests().length > 0)).toBe(true)
  })
})

describe('Responses behind a front door', () => {
  it('a function_call_output after previous_response_id reaches the host whose run waits, every time', async () => {
    const weather: OpenAI.Responses.FunctionTool = {
      type: 'function',
      name: 'get_weather',
      parameters: weatherSchema,
      strict: false,
    }
    for (const city of ['four', 'five', 'six']) {
      const first = await openai.responses.create({ model: 'haiku', input: city, tools: [weather] })
      const call = first.output.find(
        (item) => item.type === 'function_call'
      ) as OpenAI.Responses.ResponseFunctionToolCall
      const answer = await openai.responses.create({
        model: 'haiku',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: city }],
        tools: [weather],
      })
      expect(answer.output_text).toBe(`Weather: ${city}`)
    }
  })
})

describe('kept sessions and threads behind a front door', () => {
  /** The turns the model saw in the newest request, on whichever host ran it. */
  const lastTurns = () => {
    const newest = mocks
      .flatMap((m) => m.messageRequests().slice(-1))
      .sort((a, b) => a.at - b.at)
      .at(-1)
    return (newest?.body.messages ?? []).filter((m) => m.role !== 'system')
  }
  const post = (path: string, body: unknown) =>
    fetch(`${front.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('resumes a kept session on the host that keeps it', async () => {
    const first = await (
      await post('/llm/query', { prompt: 'My name is Ada.', persist_session: true })
    ).json()
    expect(first.session_id).toMatch(/^[0-9a-f-]{36}~[0-9a-z]+$/)
    for (const [i, prompt] of ['one', 'two', 'three'].entries()) {
      const res = await post('/llm/query', { prompt, session_id: first.session_id })
      expect(res.status).toBe(200)
      expect((await res.json()).session_id).toBe(first.session_id)
      expect(lastTurns()).toHaveLength(3 + 2 * i)
      expect(JSON.stringify(lastTurns()[0])).toContain('My name is Ada.')
    }
  })

  it('continues a message thread on the host that holds it', async () => {
    const anthropic = new Anthropic({ apiKey: 'unused', baseURL: front.url, maxRetries: 0 })
    const thread = anthropic.beta.messages.thread({ model: 'haiku', max_tokens: 100 })
    for (const [i, content] of ['first', 'second', 'third'].entries()) {
      const reply = await thread.send({ role: 'user', content })
      expect(reply.content).toEqual([expect.objectContaining({ text: `ECHO: ${content}` })])
      expect(lastTurns()).toHaveLength(1 + 2 * i)
    }
  })
})
