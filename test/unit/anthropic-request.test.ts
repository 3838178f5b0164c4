/** Messages requests as runs: what Claude Code sends, mapped without losing any of it. */
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { toRunRequest } from '../../src/compat/anthropic/request.js'
import { MessagesRequest } from '../../src/compat/anthropic/schemas.js'

const parse = (body: unknown) => toRunRequest(v.parse(MessagesRequest, body))

describe('a Messages request as a run', () => {
  it('keeps system entries as the turn’s context, apart from the tool rules and the conversation', () => {
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
    expect(request.context).toBe('Today is Thursday.')
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
    expect(request.conversation).toBeDefined()
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
