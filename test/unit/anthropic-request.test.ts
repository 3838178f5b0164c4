/** Messages requests as runs: what Claude Code sends, mapped without losing any of it. */
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { toRunRequest } from '../../src/compat/anthropic/request.js'
import { MessagesRequest } from '../../src/compat/anthropic/schemas.js'
import { conversationKey } from '../../src/run/conversation-key.js'

const parse = (body: unknown) => toRunRequest(v.parse(MessagesRequest, body))

describe('a Messages request as a run', () => {
  it('keeps system entries where they stand, as system reminders, apart from the tool rules', () => {
    const request = parse({
      model: 'haiku',
      max_tokens: 128000,
      system: [
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Fix it' }] },
        { role: 'system', content: [{ type: 'text', text: 'Today is Thursday.' }] },
      ],
      tools: [{ name: 'Read', input_schema: { type: 'object' }, defer_loading: true }],
      tool_choice: { type: 'any' },
      thinking: { type: 'adaptive', display: 'omitted' },
      output_config: { effort: 'medium' },
      context_management: { edits: [] },
      metadata: { user_id: '{}' },
    })
    expect(request.systemPrompt).toBe('You are Claude Code.')
    // Before the words, where the CLI puts its own context.
    expect(request.prompt).toEqual([
      { type: 'text', text: '<system-reminder>\nToday is Thursday.\n</system-reminder>' },
      { type: 'text', text: 'Fix it' },
    ])
    expect(request.appendSystemPrompt).toBe('Call one of the tools before you answer.')
    expect(request.tools?.map((t) => t.name)).toEqual(['Read'])
    expect(request).toMatchObject({ effort: 'medium' })
    // No cap below the CLI's own, and thinking asked to be omitted is not shown.
    expect(request.maxOutputTokens).toBeUndefined()
    expect(request.thinking).toBeUndefined()
  })

  it("leaves out Claude Code's attribution line, which changes on every call, from the system prompt", () => {
    const asked = (system: unknown) =>
      parse({ model: 'haiku', max_tokens: 10, system, messages: [{ role: 'user', content: 'hi' }] })
        .systemPrompt
    const header = (n: string) =>
      `x-anthropic-billing-header: cc_version=2.1.332.${n}; cc_entrypoint=cli;`
    expect(asked(`${header('a1')}\n\nYou are Claude Code.`)).toBe('You are Claude Code.')
    expect(
      asked([
        { type: 'text', text: header('b2') },
        { type: 'text', text: 'You are Claude Code.' },
      ])
    ).toBe('You are Claude Code.')
    // Only at the start: the same words later are the client's text.
    expect(asked(`Say x-anthropic-billing-header: as is`)).toBe(
      'Say x-anthropic-billing-header: as is'
    )
  })

  it('continues the waiting run when tool results come before a trailing system entry', () => {
    const request = parse({
      model: 'haiku',
      max_tokens: 1000,
      messages: [
        { role: 'user', content: 'Read x' },
        { role: 'system', content: 'ctx' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'hi' }] },
        { role: 'system', content: [{ type: 'text', text: 'more ctx' }] },
      ],
    })
    expect(request.toolResults).toEqual([
      { toolUseId: 'toolu_1', content: 'hi', call: { name: 'Read', input: {} } },
    ])
    // The conversation the waiting run was given: its context where it stood.
    const first = parse({
      model: 'haiku',
      max_tokens: 1000,
      messages: [
        { role: 'user', content: 'Read x' },
        { role: 'system', content: 'ctx' },
      ],
    })
    expect(request.conversation).toBe(conversationKey(first))
    // The context after the results is the turn as the client keeps it.
    expect(request.prompt).toEqual([
      { type: 'text', text: '<system-reminder>\nmore ctx\n</system-reminder>' },
    ])
  })

  it('puts a system entry with no user turn before it at the start of the next one', () => {
    const request = parse({
      model: 'haiku',
      max_tokens: 1000,
      messages: [
        { role: 'system', content: 'env' },
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'ONE' },
        { role: 'system', content: 'later' },
        { role: 'user', content: 'two' },
      ],
    })
    const reminder = (text: string) => ({
      type: 'text',
      text: `<system-reminder>\n${text}\n</system-reminder>`,
    })
    expect(request.history).toEqual([
      { role: 'user', content: [reminder('env'), { type: 'text', text: 'one' }] },
      { role: 'assistant', content: 'ONE' },
    ])
    expect(request.prompt).toEqual([reminder('later'), { type: 'text', text: 'two' }])
  })

  it('refuses what the API documents but Claude Code cannot do, by name', () => {
    const body = { model: 'haiku', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }
    expect(() => parse({ ...body, mcp_servers: [] })).toThrow(/mcp_servers/)
    expect(() => parse({ ...body, output_config: { format: {} } })).toThrow(/output_config.format/)
    expect(() => parse({ ...body, frequency_penalty: 1 })).toThrow(
      /frequency_penalty: not supported/
    )
  })
})
