/** Responses requests as runs: what Codex and the Agents SDK send, mapped without losing any of it. */
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { toRunRequest } from '../../src/compat/responses/request.js'
import { ResponsesRequest } from '../../src/compat/responses/schemas.js'
import { createCallNames, leftOutTools } from '../../src/compat/responses/tools.js'

const parse = (body: unknown) => v.parse(ResponsesRequest, body)

describe('a Responses request as a run', () => {
  it('joins instructions and developer messages as the system prompt, and keeps the turns', () => {
    const body = parse({
      model: 'haiku',
      instructions: 'Be brief.',
      input: [
        {
          type: 'message',
          role: 'developer',
          content: [{ type: 'input_text', text: 'Use tools.' }],
        },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'x' },
        { role: 'user', content: [{ type: 'input_text', text: 'second' }] },
      ],
      reasoning: { effort: 'minimal', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'k',
      client_metadata: {},
      tools: [
        { type: 'function', name: 'exec_command', parameters: { type: 'object' } },
        { type: 'web_search' },
        { type: 'namespace', name: 'multi_agent_v1', tools: [] },
      ],
    })
    const request = toRunRequest(body)
    expect(request.systemPrompt).toBe('Be brief.\n\nUse tools.')
    expect(request.history?.map((t) => t.role)).toEqual(['user', 'assistant'])
    expect(request.prompt).toEqual([{ type: 'text', text: 'second' }])
    expect(request).toMatchObject({ effort: 'low', thinking: 'summarized' })
    expect(request.tools?.map((t) => t.name)).toEqual(['exec_command'])
    expect(request.allowedTools).toBeUndefined()
    expect(leftOutTools(body, [])).toEqual(['web_search', 'namespace:multi_agent_v1'])
  })

  it("maps a hosted web_search to Claude Code's WebSearch only where the key and server allow it", () => {
    const body = parse({ model: 'haiku', input: 'news?', tools: [{ type: 'web_search' }] })
    expect(toRunRequest(body, undefined, ['WebSearch'])).toMatchObject({
      allowedTools: ['WebSearch'],
      maxTurns: 10,
    })
    expect(leftOutTools(body, ['WebSearch'])).toEqual([])
    expect(toRunRequest(body, undefined, ['Read']).allowedTools).toBeUndefined()
    expect(leftOutTools(body, ['Read'])).toEqual(['web_search'])
    const limited = parse({ ...body, max_tool_calls: 2 })
    expect(toRunRequest(limited, undefined, ['WebSearch']).maxTurns).toBe(3)
    const none = parse({ ...body, tool_choice: 'none' })
    expect(toRunRequest(none, undefined, ['WebSearch']).allowedTools).toBeUndefined()
  })

  it("flattens a namespace's functions into the run's tools, and splits their calls back", () => {
    const fn = (name: string) => ({ type: 'function', name, parameters: { type: 'object' } })
    const body = parse({
      model: 'haiku',
      store: false,
      input: [
        { role: 'user', content: 'spawn one' },
        {
          type: 'function_call',
          call_id: 'call_1',
          namespace: 'multi_agent_v1',
          name: 'spawn_agent',
          arguments: '{}',
        },
        { type: 'function_call_output', call_id: 'call_1', output: 'agent-7' },
      ],
      tools: [
        fn('exec_command'),
        {
          type: 'namespace',
          name: 'multi_agent_v1',
          tools: [fn('spawn_agent'), fn('close_agent')],
        },
        { type: 'namespace', name: 'odd', tools: [{ type: 'web_search' }] },
      ],
      tool_choice: { type: 'function', namespace: 'multi_agent_v1', name: 'spawn_agent' },
    })
    const first = toRunRequest(parse({ ...body, input: 'spawn one' }))
    expect(first.tools?.map((t) => t.name)).toEqual(['multi_agent_v1__spawn_agent'])
    expect(leftOutTools(body, [])).toEqual(['namespace:odd'])
    expect(toRunRequest(body).toolResults?.[0]?.call).toEqual({
      name: 'multi_agent_v1__spawn_agent',
      input: {},
    })
    const names = createCallNames(body)
    expect(names('multi_agent_v1__close_agent')).toEqual({
      name: 'close_agent',
      namespace: 'multi_agent_v1',
    })
    expect(names('exec_command')).toEqual({ name: 'exec_command' })
  })

  it('takes trailing function call outputs as tool results, reasoning items between them too', () => {
    const request = toRunRequest(
      parse({
        model: 'haiku',
        store: false,
        input: [
          { role: 'user', content: 'go' },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          {
            type: 'function_call',
            call_id: 'call_1',
            name: 'exec_command',
            arguments: '{"cmd":"ls"}',
          },
          { type: 'function_call_output', call_id: 'call_1', output: 'a b' },
        ],
      })
    )
    expect(request.toolResults).toEqual([
      { toolUseId: 'call_1', content: 'a b', call: { name: 'exec_command', input: { cmd: 'ls' } } },
    ])
    expect(request.conversation).toBeDefined()
  })

  it('refuses what it cannot do by name', () => {
    const body = { model: 'haiku', input: 'x' }
    expect(() => toRunRequest(parse({ ...body, frequency: 1 }))).toThrow(/frequency: not supported/)
    expect(() => toRunRequest(parse({ ...body, background: true, store: false }))).toThrow(
      /needs store/
    )
    expect(() =>
      toRunRequest(parse({ ...body, input: [{ type: 'computer_call', id: 'c' }] }))
    ).toThrow(/input.0: items of type computer_call/)
  })
})
