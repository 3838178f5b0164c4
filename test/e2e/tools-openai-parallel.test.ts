/**
 * Client tool calling through the official `openai` client, the harder cases, on the real CLI:
 * parallel calls answered in any order, and what a client can get wrong.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { processesIn, waitFor } from '../../dev-tools/cli-env.js'
import type { MockHandler } from '../../dev-tools/mock-anthropic/server.js'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { question, setupWeatherServer, tools } from '../helpers/openai-tools.js'
import { startTestStack } from '../helpers/test-stack.js'
import { WEATHER_TOOL, weatherModel } from '../helpers/tool-mock.js'

const ctx = setupWeatherServer()

/** Two calls in one message; once answered, lists the results it got. */
const parallelModel: MockHandler = (request) => {
  const results = toolResultsOf(request.body)
  if (results.length > 0) {
    return { kind: 'text', text: results.map((r) => JSON.stringify(r.content)).join(' | ') }
  }
  return {
    kind: 'tool',
    name: WEATHER_TOOL,
    input: { city: 'Paris' },
    more: [{ name: WEATHER_TOOL, input: { city: 'Rome' } }],
  }
}

const callsOf = (completion: OpenAI.ChatCompletion) =>
  (completion.choices[0]?.message.tool_calls ??
    []) as OpenAI.ChatCompletionMessageFunctionToolCall[]

describe('tool calls, the harder cases', () => {
  it('returns parallel calls together; results come back in any order, after a refused partial set', async () => {
    ctx.stack.mock.setHandler(parallelModel)
    const first = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [question],
      tools,
    })
    const calls = callsOf(first)
    expect(calls.map((c) => JSON.parse(c.function.arguments))).toEqual([
      { city: 'Paris' },
      { city: 'Rome' },
    ])
    const assistant = first.choices[0]?.message as OpenAI.ChatCompletionMessageParam
    // Only one of the two: refused, and the run still waits for both.
    const partial = await ctx.openai.chat.completions
      .create({
        model: 'haiku',
        messages: [
          question,
          assistant,
          { role: 'tool', tool_call_id: calls[0]?.id ?? '', content: 'x' },
        ],
        tools,
      })
      .catch((e: unknown) => e)
    expect(partial).toBeInstanceOf(OpenAI.BadRequestError)
    expect((partial as InstanceType<typeof OpenAI.APIError>).message).toMatch(/missing/)

    const answer = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [
        question,
        assistant,
        { role: 'tool', tool_call_id: calls[1]?.id ?? '', content: 'rain in Rome' },
        { role: 'tool', tool_call_id: calls[0]?.id ?? '', content: 'sun in Paris' },
      ],
      tools,
    })
    const text = answer.choices[0]?.message.content ?? ''
    expect(text).toContain('sun in Paris')
    expect(text).toContain('rain in Rome')
  })

  it('refuses a follow-up whose conversation differs from the waiting run’s', async () => {
    const first = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [question],
      tools,
    })
    const call = callsOf(first)[0] as OpenAI.ChatCompletionMessageFunctionToolCall
    const follow = (args: string) =>
      ctx.openai.chat.completions.create({
        model: 'haiku',
        messages: [
          question,
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ ...call, function: { name: 'get_weather', arguments: args } }],
          },
          { role: 'tool', tool_call_id: call.id, content: 'sunny' },
        ],
        tools,
      })
    // The question edited since: not the conversation the run was given.
    const edited = await ctx.openai.chat.completions
      .create({
        model: 'haiku',
        messages: [
          { role: 'user', content: 'Weather in Berlin?' },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: 'sunny' },
        ],
        tools,
      })
      .catch((e: unknown) => e)
    expect(edited).toBeInstanceOf(OpenAI.BadRequestError)
    expect((edited as InstanceType<typeof OpenAI.APIError>).message).toMatch(/conversation before/)
    const altered = await follow('{"city":"Berlin"}').catch((e: unknown) => e)
    expect(altered).toBeInstanceOf(OpenAI.BadRequestError)
    expect((altered as InstanceType<typeof OpenAI.APIError>).message).toMatch(/other input/)
    // The run still waits for the real call's result; key order does not matter.
    const answer = await follow('{ "city": "Paris" }')
    expect(answer.choices[0]?.message.content).toBe('Weather: sunny')
  })

  it('stops a run that waits too long; its results are then a 409 that says to start again', async () => {
    const short = await startTestStack({ toolWaitMs: 1_000 })
    short.mock.setHandler(weatherModel)
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${short.url}/v1`, maxRetries: 0 })
    try {
      const first = await client.chat.completions.create({
        model: 'haiku',
        messages: [question],
        tools,
      })
      const call = callsOf(first)[0]
      await waitFor(async () => (await processesIn(short.workDir)).length === 0)
      const late = await client.chat.completions
        .create({
          model: 'haiku',
          messages: [
            question,
            first.choices[0]?.message as OpenAI.ChatCompletionMessageParam,
            { role: 'tool', tool_call_id: call?.id ?? '', content: 'late' },
          ],
          tools,
        })
        .catch((e: unknown) => e)
      expect(late).toBeInstanceOf(OpenAI.ConflictError)
      expect((late as InstanceType<typeof OpenAI.APIError>).message).toMatch(
        /start the request again/
      )
    } finally {
      await short.close()
    }
  })
})
