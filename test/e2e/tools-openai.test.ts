import { describe, expect, it } from 'vitest'
import { question, setupWeatherServer, tools } from '../helpers/openai-tools.js'
import { WEATHER_TOOL } from '../helpers/tool-mock.js'

const ctx = setupWeatherServer()

describe('tool calling with the openai client', () => {
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
    // The earlier call and its result reach the model as the blocks they were, in their places.
    const messages = ctx.stack.mock.messageRequests().at(-1)?.body.messages ?? []
    const blocks = messages
      .filter((m) => m.role !== 'system')
      .flatMap((m) => (Array.isArray(m.content) ? m.content : [{ type: 'text', text: m.content }]))
      .filter((b) => !(b.type === 'text' && String(b.text).startsWith('<system-reminder>')))
    expect(blocks.map((b) => b.type)).toEqual(['text', 'tool_use', 'tool_result', 'text', 'text'])
    expect(blocks[1]).toMatchObject({
      type: 'tool_use',
      id: 'call_1',
      name: 'mcp__client__get_weather',
      input: { city: 'Paris' },
    })
    expect(blocks[2]).toMatchObject({ type: 'tool_result', tool_use_id: 'call_1' })
    expect(JSON.stringify(blocks[2])).toContain('sunny')
    expect(JSON.stringify(messages)).not.toContain('[called tool')
  })
})
