/**
 * Client tool calling through the official `openai` client, on the real CLI: the model calls
 * the client's function, the run waits, and the client's `tool` message reaches the model as a
 * real tool result in the same turn; streamed as OpenAI streams tool calls.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { processesIn, waitFor } from '../../dev-tools/cli-env.js'
import { question, setupWeatherServer, tools } from '../helpers/openai-tools.js'
import { toolResultsOf, WEATHER_TOOL, weatherSchema } from '../helpers/tool-mock.js'

const ctx = setupWeatherServer()

const parked = async () =>
  (await (await fetch(`${ctx.stack.url}/llm/status`)).json()).processes.parked as number

describe('tool calling with the openai client', () => {
  it('returns the call, then answers with the result the client sends', async () => {
    const first = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [question],
      tools,
    })
    const choice = first.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    expect(choice?.message.content).toBe('Let me check.')
    const call = choice?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall
    expect(call.type).toBe('function')
    expect(call.function.name).toBe('get_weather')
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' })
    // The model was offered the tool with the client's description and schema.
    const offered = ctx.stack.mock
      .messageRequests()[0]
      ?.body.tools?.find((t) => t.name === WEATHER_TOOL)
    expect(offered?.input_schema).toEqual(weatherSchema)
    expect(await parked()).toBe(1)

    const second = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [
        question,
        choice?.message as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21°C' },
      ],
      tools,
    })
    expect(second.choices[0]?.finish_reason).toBe('stop')
    expect(second.choices[0]?.message.content).toBe('Weather: sunny, 21°C')
    // A real tool result for the real call, in the same conversation.
    const last = ctx.stack.mock.messageRequests().at(-1)?.body ?? {}
    expect(toolResultsOf(last)).toEqual([
      expect.objectContaining({
        tool_use_id: call.id,
        content: [{ type: 'text', text: 'sunny, 21°C' }],
      }),
    ])
    expect(JSON.stringify(last.messages)).toContain('Weather in Paris?')
    expect(await parked()).toBe(0)
    await waitFor(async () => (await processesIn(ctx.stack.workDir)).length === 0)
  })

  it('streams the call as OpenAI does, and the answer after the result', async () => {
    const stream = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [question],
      tools,
      stream: true,
    })
    const calls: Array<{ id?: string; name?: string; arguments: string }> = []
    let finish: string | null = null
    let text = ''
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta
      text += delta?.content ?? ''
      for (const piece of delta?.tool_calls ?? []) {
        calls[piece.index] ??= { arguments: '' }
        const call = calls[piece.index] as (typeof calls)[number]
        if (piece.id) call.id = piece.id
        if (piece.function?.name) call.name = piece.function.name
        call.arguments += piece.function?.arguments ?? ''
      }
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(finish).toBe('tool_calls')
    expect(text).toBe('Let me check.')
    expect(calls).toHaveLength(1)
    expect(calls[0]?.name).toBe('get_weather')
    expect(JSON.parse(calls[0]?.arguments ?? '')).toEqual({ city: 'Paris' })

    const answer = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [
        question,
        {
          role: 'assistant',
          content: text,
          tool_calls: [
            {
              id: calls[0]?.id as string,
              type: 'function',
              function: { name: 'get_weather', arguments: calls[0]?.arguments ?? '' },
            },
          ],
        },
        { role: 'tool', tool_call_id: calls[0]?.id as string, content: 'rain' },
      ],
      tools,
      stream: true,
    })
    let final = ''
    for await (const chunk of answer) final += chunk.choices[0]?.delta?.content ?? ''
    expect(final).toBe('Weather: rain')
  })

  it('offers no tool with tool_choice none, and keeps earlier calls as history', async () => {
    const none = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [question],
      tools,
      tool_choice: 'none',
    })
    expect(none.choices[0]?.message.content).toBe('ECHO: Weather in Paris?')
    expect(ctx.stack.mock.messageRequests()[0]?.body.tools ?? []).not.toContainEqual(
      expect.objectContaining({ name: WEATHER_TOOL })
    )

    // A later turn of a conversation that used the tool: the call and its result are history.
    const later = await ctx.openai.chat.completions.create({
      model: 'haiku',
      messages: [
        question,
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'assistant', content: 'It is sunny.' },
        { role: 'user', content: 'Thanks!' },
      ],
    })
    expect(later.choices[0]?.message.content).toBe('ECHO: Thanks!')
    const history = JSON.stringify(ctx.stack.mock.messageRequests().at(-1)?.body.messages)
    expect(history).toContain('[called tool get_weather with {\\"city\\":\\"Paris\\"}]')
    expect(history).toContain('[tool get_weather returned: sunny]')
  })

  it('answers results for a call no run waits on with a 409', async () => {
    const error = await ctx.openai.chat.completions
      .create({
        model: 'haiku',
        messages: [
          question,
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'toolu_gone',
                type: 'function',
                function: { name: 'get_weather', arguments: '{}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'toolu_gone', content: 'late' },
        ],
        tools,
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.ConflictError)
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toMatch(/No run is waiting/)
    expect(ctx.stack.mock.messageRequests()).toHaveLength(0)
  })
})
