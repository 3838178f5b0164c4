/**
 * Client tools on the native API and in the library, on the real CLI: /llm/query returns the
 * calls and takes the results; `ClaudeClient.runTools` runs the loop with plain functions,
 * locally and through a remote server.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cliEnv, processesIn, removeDir, tempDir, waitFor } from '../../dev-tools/cli-env.js'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { createApiRunner } from '../../src/adapters/api.js'
import { createNodeRunner, type NodeRunner } from '../../src/adapters/node/runner.js'
import { ClaudeClient } from '../../src/client/client.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { weatherModel, weatherSchema } from '../helpers/tool-mock.js'

let stack: TestStack
let local: NodeRunner
beforeAll(async () => {
  stack = await startTestStack()
  local = createNodeRunner({
    workDir: `${stack.home}/library`,
    env: cliEnv(stack.home, stack.mock.url),
    killGraceMs: 1_000,
  })
})
afterAll(async () => {
  await local?.close()
  await stack?.close()
})
beforeEach(() => {
  stack.mock.reset()
  stack.mock.setHandler(weatherModel)
})

const weather = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: weatherSchema,
}

describe('tools on /llm/query', () => {
  it('answers with tool_calls, and goes on with tool_results', async () => {
    const first = await (
      await stack.post('/llm/query', { prompt: 'Weather in Paris?', tools: [weather] })
    ).json()
    expect(first.text).toBe('Let me check.')
    expect(first.tool_calls).toEqual([
      { id: expect.any(String), name: 'get_weather', input: { city: 'Paris' } },
    ])
    const second = await (
      await stack.post('/llm/query', {
        prompt: '',
        tool_results: [{ tool_use_id: first.tool_calls[0].id, content: 'sunny' }],
      })
    ).json()
    expect(second).toMatchObject({ text: 'Weather: sunny', tool_calls: null })
    expect(toolResultsOf(stack.mock.messageRequests().at(-1)?.body ?? {})).toHaveLength(1)
  })

  it('streams a tool_call event, and the calls in the result event', async () => {
    const res = await stack.post('/llm/query/stream', { prompt: 'Weather?', tools: [weather] })
    const text = await res.text()
    expect(text).toContain('"type":"tool_call"')
    expect(text).toMatch(/"type":"result".*"tool_calls":\[\{"id":"[^"]+","name":"get_weather"/)
  })
})

describe('ClaudeClient.runTools', () => {
  const functions = (calls: unknown[]) => ({
    get_weather: {
      description: 'Weather for a city',
      inputSchema: weatherSchema,
      run: (input: { city: string }) => {
        calls.push(input)
        return { city: input.city, sky: 'clear' }
      },
    },
  })

  it('runs the loop with local functions', async () => {
    const calls: unknown[] = []
    const result = await new ClaudeClient({ runner: local }).runTools(
      'Weather in Paris?',
      functions(calls)
    )
    expect(calls).toEqual([{ city: 'Paris' }])
    expect(result.text).toBe('Weather: {"city":"Paris","sky":"clear"}')
    expect(result.toolCalls).toBeUndefined()
  })

  it('sends a thrown error back as an error result, through a remote server', async () => {
    const client = new ClaudeClient({ runner: createApiRunner({ url: stack.url }) })
    const result = await client.runTools('Weather in Paris?', {
      get_weather: {
        inputSchema: weatherSchema,
        run: () => {
          throw new Error('the weather service is down')
        },
      },
    })
    expect(result.text).toBe('Tool failed: the weather service is down')
  })
})

describe('a waiting run belongs to its key', () => {
  it("cannot be continued with another key's request", async () => {
    const dir = await tempDir('tools-keys')
    const keysFile = join(dir, 'keys')
    const alice = (await createKey(keysFile, { name: 'alice' })).key
    const bob = (await createKey(keysFile, { name: 'bob' })).key
    const keyed = await startTestStack({ keysFile })
    keyed.mock.setHandler(weatherModel)
    const as = (key: string) => ({
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    })
    try {
      const first = await (
        await keyed.post('/llm/query', { prompt: 'Weather?', tools: [weather] }, as(alice))
      ).json()
      const id = first.tool_calls[0].id
      const stolen = await keyed.post(
        '/llm/query',
        { prompt: '', tool_results: [{ tool_use_id: id, content: 'fake' }] },
        as(bob)
      )
      expect(stolen.status).toBe(409)
      expect((await stolen.json()).type).toBe('tool_call_not_pending')
      // The owner still can.
      const own = await keyed.post(
        '/llm/query',
        { prompt: '', tool_results: [{ tool_use_id: id, content: 'real' }] },
        as(alice)
      )
      expect((await own.json()).text).toBe('Weather: real')
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  })
})

describe('a run that waits for tool results is charged', () => {
  it('for its part when it parks, the rest when it ends, and also when it is left waiting', async () => {
    const short = await startTestStack({ toolWaitMs: 1_500 })
    short.mock.setHandler(weatherModel)
    const spent = async () =>
      (await (await fetch(`${short.url}/admin/usage`)).json()).keys.anonymous?.today.usd ?? 0
    const query = async (body: object) => (await short.post('/llm/query', body)).json()
    try {
      const first = await query({ prompt: 'Weather?', tools: [weather] })
      expect(first.total_cost_usd).toBeGreaterThan(0)
      expect(await spent()).toBeCloseTo(first.total_cost_usd, 12)
      const second = await query({
        prompt: '',
        tool_results: [{ tool_use_id: first.tool_calls[0].id, content: 'sunny' }],
      })
      expect(second.total_cost_usd).toBeGreaterThan(0)
      expect(await spent()).toBeCloseTo(first.total_cost_usd + second.total_cost_usd, 12)

      // Never answered: stopped after its wait, and charged for what it cost already.
      const before = await spent()
      const left = await query({ prompt: 'Weather again?', tools: [weather] })
      await waitFor(async () => (await processesIn(short.workDir)).length === 0)
      expect(left.total_cost_usd).toBeGreaterThan(0)
      expect(await spent()).toBeCloseTo(before + left.total_cost_usd, 12)
    } finally {
      await short.close()
    }
  })
})
