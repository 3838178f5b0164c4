/**
 * Claude Code as a client sees the server's plan: signed in with a `cca_` key as its OAuth token,
 * it reads the `anthropic-ratelimit-unified-*` headers of `/v1/messages` (built from what the
 * server's own CLI last heard from the API, a subscription login at the mock), reports the
 * 5-hour window's use, and on a used-up window stops at once with the real reset.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { type ClaudeClient, jsonLines, runClaudeClient } from '../helpers/claude-client.js'
import { epoch, unifiedHeaders } from '../helpers/quota-headers.js'
import { runCommand } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let client: ClaudeClient
beforeAll(async () => {
  const dir = await tempDir('claude-plan')
  const cwd = join(dir, 'project')
  await runCommand('mkdir', ['-p', cwd])
  const { key } = await createKey(join(dir, 'keys'), { name: 'claude-code' })
  stack = await startTestStack({ keysFile: join(dir, 'keys'), subscription: true })
  client = { url: stack.url, dir, cwd, key, as: 'oauth' }
})
afterAll(async () => {
  await stack?.close()
  if (client) await removeDir(client.dir)
})
beforeEach(() => stack.mock.reset())

const post = (path: string, body: unknown) =>
  stack.post(path, body, {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${client.key}` },
  })

/** One run through the server, so its CLI hears the API's current report. */
const prime = () => post('/llm/chat', { prompt: 'prime' })

/** Claude Code asks once, printing its stream (its rate_limit_event lines among it). */
const askClaude = () =>
  runClaudeClient(client, [
    'hello',
    '--output-format',
    'stream-json',
    '--verbose',
    '--model',
    'haiku',
  ])

const rateLimitEvents = (stdout: string) =>
  jsonLines(stdout).filter((line) => line.type === 'rate_limit_event') as Array<{
    rate_limit_info: Record<string, unknown>
  }>

describe('Claude Code with a cca_ key as its OAuth token', () => {
  it("reports the 5-hour window's use from the server's headers", async () => {
    const reset = epoch(1_800)
    const headers = unifiedHeaders('allowed_warning', 0.91, reset)
    stack.mock.setHandler(() => ({ kind: 'text', text: 'fine', headers }))
    expect((await prime()).status).toBe(200)

    const answer = await post('/v1/messages', {
      model: 'haiku',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(answer.headers.get('anthropic-ratelimit-unified-status')).toBe('allowed_warning')
    expect(answer.headers.get('anthropic-ratelimit-unified-5h-utilization')).toBe('0.91')
    expect(answer.headers.get('anthropic-ratelimit-unified-5h-reset')).toBe(String(reset))

    const run = await askClaude()
    expect(run.code).toBe(0)
    const [event] = rateLimitEvents(run.stdout)
    expect(event?.rate_limit_info).toMatchObject({
      rateLimitType: 'five_hour',
      resetsAt: reset,
      unifiedWindows: {
        five_hour: { utilization: 0.91, resetsAt: reset },
        seven_day: { utilization: 0.4 },
      },
    })
  })

  it('stops at once on a used-up window, with the real reset', async () => {
    const reset = epoch(1_800)
    const headers = unifiedHeaders('rejected', 1, reset)
    stack.mock.setHandler(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'limit reached',
      headers,
    }))
    expect((await prime()).status).toBe(429)
    const reached = stack.mock.messageRequests().length

    const started = Date.now()
    const run = await askClaude()
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(run.code).not.toBe(0)
    const info = rateLimitEvents(run.stdout).at(-1)?.rate_limit_info
    expect(info).toMatchObject({ status: 'rejected', resetsAt: reset })
    // The server refused without asking the API.
    expect(stack.mock.messageRequests()).toHaveLength(reached)
  })
})
