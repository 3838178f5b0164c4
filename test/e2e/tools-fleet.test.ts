/**
 * Tool calls through a front door with two runner hosts (real CLI on each): the follow-up goes
 * to the host whose run waits for it, every time, though runs otherwise take turns.
 */
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRemoteRunner } from '../../src/runner-protocol/remote-runner.js'
import { type RunningServer, startRunnerHost, startServer } from '../../src/runtime/node.js'
import { cliEnv, removeDir, tempDir } from '../helpers/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../helpers/mock-anthropic.js'
import { weatherModel, weatherSchema } from '../helpers/tool-mock.js'

const TOKEN = 'a-long-random-runner-token'
let home: string
const mocks: MockAnthropic[] = []
const hosts: RunningServer[] = []
let front: RunningServer
let openai: OpenAI
beforeAll(async () => {
  home = await tempDir('tools-fleet')
  for (const i of [0, 1]) {
    const mock = await startMockAnthropic()
    mock.setHandler(weatherModel)
    mocks.push(mock)
    const hostHome = join(home, `host-${i}`)
    hosts.push(
      await startRunnerHost({
        port: 0,
        token: TOKEN,
        logLevel: 'silent',
        workDir: join(hostHome, 'work'),
        runnerOptions: { env: cliEnv(hostHome, mock.url), killGraceMs: 1_000 },
      })
    )
  }
  front = await startServer({
    port: 0,
    logLevel: 'silent',
    runner: createRemoteRunner({ urls: hosts.map((h) => h.url), token: TOKEN }),
  })
  openai = new OpenAI({ apiKey: 'unused', baseURL: `${front.url}/v1`, maxRetries: 0 })
})
afterAll(async () => {
  await front?.close()
  for (const host of hosts) await host.close()
  for (const mock of mocks) await mock.close()
  await removeDir(home)
})

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
