/**
 * Tools the Responses API groups or hosts, as Codex sends them (real CLI, mock Messages API): a
 * hosted `web_search` becomes Claude Code's WebSearch where the key and the server allow it (and
 * is left out, said in a header, where not); a `namespace` group's functions are the client's
 * tools, their calls coming back split into `namespace` and `name` and continued both ways.
 */
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type MockHandler, toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

const SPAWN = 'mcp__client__multi_agent_v1__spawn_agent'

let stack: TestStack
let dir: string
let searcher: OpenAI
let reader: OpenAI
beforeAll(async () => {
  dir = await tempDir('hosted-tools')
  const keysFile = join(dir, 'keys')
  const a = await createKey(keysFile, { name: 'searcher' })
  const b = await createKey(keysFile, { name: 'reader', policy: { tools: ['Read'] } })
  stack = await startTestStack({ keysFile, allowedTools: ['WebSearch'] })
  const client = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 0 })
  searcher = client(a.key)
  reader = client(b.key)
})
afterAll(async () => {
  await stack?.close()
  await removeDir(dir)
})
beforeEach(() => stack.mock.reset())

const offered = () =>
  stack.mock
    .messageRequests()
    .at(-1)
    ?.body.tools?.map((t) => t.name) ?? []

describe('a hosted web_search', () => {
  it("is Claude Code's WebSearch for a key allowed it, left out and named for one that is not", async () => {
    const ask = (client: OpenAI) =>
      client.responses
        .create({ model: 'haiku', input: 'Any news?', tools: [{ type: 'web_search' }] })
        .withResponse()
    const mapped = await ask(searcher)
    expect(mapped.data.output_text).toBe('ECHO: Any news?')
    expect(mapped.response.headers.get('x-ignored-tools')).toBeNull()
    expect(offered()).toContain('WebSearch')

    const left = await ask(reader)
    expect(left.data.output_text).toBe('ECHO: Any news?')
    expect(left.response.headers.get('x-ignored-tools')).toBe('web_search')
    expect(offered()).not.toContain('WebSearch')
  })

  it('takes max_tool_calls turns of searches and one to answer; a turn more ends the run', async () => {
    /** A model that searches until it has `wanted` results, then answers. */
    const searching =
      (wanted: number): MockHandler =>
      (request) => {
        // The CLI's own search request (its tool is the API's web_search) gets the results.
        if (!request.body.tools?.some((t) => t.name === 'WebSearch'))
          return { kind: 'text', text: 'nothing new' }
        const results = (request.body.messages ?? []).flatMap((m) =>
          Array.isArray(m.content) ? m.content.filter((b) => b?.type === 'tool_result') : []
        )
        return results.length < wanted
          ? { kind: 'tool', name: 'WebSearch', input: { query: `news ${results.length}` } }
          : { kind: 'text', text: `Searched ${results.length} times` }
      }
    const mainTurns = () =>
      stack.mock.messageRequests().filter((r) => r.body.tools?.some((t) => t.name === 'WebSearch'))
        .length
    // The SDK sends the field; its request type (6.x) does not name it yet.
    const body = {
      model: 'haiku',
      input: 'Any news?',
      tools: [{ type: 'web_search' as const }],
      max_tool_calls: 1,
    }
    const ask = () => searcher.responses.create(body)

    stack.mock.setHandler(searching(1))
    expect((await ask()).output_text).toBe('Searched 1 times')
    expect(mainTurns()).toBe(2)

    stack.mock.reset()
    stack.mock.setHandler(searching(5))
    await expect(ask()).rejects.toMatchObject({ status: 422, code: 'max_turns_exceeded' })
    expect(mainTurns()).toBe(2)
  })
})

describe("a namespace's functions", () => {
  const fn = (name: string) => ({
    type: 'function',
    name,
    description: `${name} an agent`,
    parameters: { type: 'object', properties: { task: { type: 'string' } } },
    strict: false,
  })
  const tools = [
    { type: 'namespace', name: 'multi_agent_v1', tools: [fn('spawn_agent'), fn('close_agent')] },
  ] as unknown as OpenAI.Responses.Tool[]
  /** The model spawns an agent once, then says what the tool answered. */
  const spawns: MockHandler = (request) => {
    const [result] = toolResultsOf(request.body)
    if (result) return { kind: 'text', text: `Spawned: ${JSON.stringify(result.content)}` }
    return { kind: 'tool', name: SPAWN, input: { task: 'count' } }
  }

  it('are offered, called by namespace and name, and continued by previous_response_id', async () => {
    stack.mock.setHandler(spawns)
    const first = await searcher.responses.create({ model: 'haiku', input: 'Spawn one', tools })
    expect(offered()).toEqual(
      expect.arrayContaining([SPAWN, 'mcp__client__multi_agent_v1__close_agent'])
    )
    const call = first.output.find((item) => item.type === 'function_call') as unknown as Record<
      string,
      string
    >
    expect(call).toMatchObject({ namespace: 'multi_agent_v1', name: 'spawn_agent' })
    expect(JSON.parse(call.arguments as string)).toEqual({ task: 'count' })
    const second = await searcher.responses.create({
      model: 'haiku',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id as string, output: 'agent-7' }],
      tools,
    })
    expect(second.output_text).toContain('agent-7')
  })

  it('continue statelessly with the whole input, the call sent back with its namespace', async () => {
    stack.mock.setHandler(spawns)
    const question = { role: 'user' as const, content: 'Spawn one' }
    const first = await searcher.responses.create({
      model: 'haiku',
      input: [question],
      tools,
      store: false,
    })
    const call = first.output.find((item) => item.type === 'function_call') as unknown as Record<
      string,
      string
    >
    const second = await searcher.responses.create({
      model: 'haiku',
      store: false,
      tools,
      input: [
        question,
        { ...call, type: 'function_call' } as unknown as OpenAI.Responses.ResponseInputItem,
        { type: 'function_call_output', call_id: call.call_id as string, output: 'agent-9' },
      ],
    })
    expect(second.output_text).toContain('agent-9')
  })
})
