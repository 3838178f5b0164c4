/**
 * The runner protocol in Node: runner hosts on 127.0.0.1 (real CLI, mock API) and the remote
 * runner in front of them: failover, abort, typed errors, tokens and protocol versions.
 */
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  allProcessesGone,
  cliEnv,
  processesIn,
  removeDir,
  TESTED_VERSION,
  tempDir,
  waitFor,
} from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { createRemoteRunner } from '../../src/adapters/remote/remote-runner.js'
import { hostTag } from '../../src/adapters/remote/tool-routing.js'
import { ClaudeClient } from '../../src/client/client.js'
import {
  ConfigError,
  ProtocolMismatchError,
  RateLimitedError,
  RunAbortedError,
  RunnerUnavailableError,
  SessionHostUnavailableError,
  UnauthorizedError,
} from '../../src/errors/index.js'
import { collectRun } from '../../src/run/result.js'
import { type RunningServer, startRunnerHost } from '../../src/runtime/node/entry.js'

const TOKEN = 'a-long-random-runner-token'
let mock: MockAnthropic
let home: string
let host: RunningServer
let deadUrl: string

beforeAll(async () => {
  mock = await startMockAnthropic()
  home = await tempDir('remote')
  host = await startRunnerHost({
    port: 0,
    token: TOKEN,
    logLevel: 'silent',
    workDir: join(home, 'work'),
    runnerOptions: { env: cliEnv(home, mock.url), killGraceMs: 1_000 },
  })
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  deadUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  await new Promise<void>((resolve) => server.close(() => resolve()))
})
afterAll(async () => {
  await host?.close()
  await mock?.close()
  await removeDir(home)
})
beforeEach(() => mock.reset())

const client = (urls: string[], token = TOKEN) =>
  new ClaudeClient({ runner: createRemoteRunner({ urls, token, retryDownAfterMs: 60_000 }) })

describe('runner host and remote runner', () => {
  it('runs a prompt on the host', async () => {
    const answer = await client([host.url]).chat('over the runner protocol')
    expect(answer.text).toBe('ECHO: over the runner protocol')
  })

  it('streams events as NDJSON, as they happen', async () => {
    mock.setHandler(() => ({ kind: 'text', text: 'a b c d', chunks: 4, intervalMs: 300 }))
    const arrivals: number[] = []
    const started = Date.now()
    for await (const piece of client([host.url]).stream('count').textStream()) {
      expect(piece).toBeTruthy()
      arrivals.push(Date.now() - started)
    }
    expect(arrivals.length).toBeGreaterThanOrEqual(3)
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(600)
  })

  it('fails over to the next host when one cannot be reached', async () => {
    const remote = client([deadUrl, host.url])
    for (const prompt of ['one', 'two', 'three']) {
      expect((await remote.chat(prompt)).text).toBe(`ECHO: ${prompt}`)
    }
    const status = await remote.runner.status()
    expect(status.hosts).toEqual([
      expect.objectContaining({
        url: deadUrl,
        up: false,
        failovers: 1,
        last_error: expect.objectContaining({ message: expect.stringMatching(/ECONNREFUSED/) }),
      }),
      // A login by token reports no subscription quota.
      expect.objectContaining({ url: host.url, up: true, quota: null, last_error: null }),
    ])
    expect(status.version).toMatch(TESTED_VERSION)
  })

  it('an unreachable fleet is a 503 that says so', async () => {
    const error = await client([deadUrl])
      .chat('hi')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunnerUnavailableError)
    expect((error as RunnerUnavailableError).status).toBe(503)
  })

  it('a kept session on a host that is down is a 503 session_host_unavailable', async () => {
    const runner = createRemoteRunner({ urls: [host.url, deadUrl], token: TOKEN })
    const session = `11111111-2222-4333-8444-555555555555~${hostTag(deadUrl)}`
    const error = await collectRun(runner.run({ prompt: 'hi', resumeSessionId: session })).catch(
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(SessionHostUnavailableError)
    expect((error as SessionHostUnavailableError).status).toBe(503)
    // The live host was not asked instead: it would not know the session.
    expect(mock.messageRequests()).toHaveLength(0)
  })

  it('keeps error types across the hop (rate limit with retry time)', async () => {
    mock.setHandler(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      headers: { 'retry-after': '1' },
    }))
    const error = await client([host.url])
      .chat('hi')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitedError)
    expect((error as RateLimitedError).retryAfter).toBeGreaterThanOrEqual(1)
  })

  it('never retries a run once events flowed', async () => {
    mock.setHandler(() => ({ kind: 'error', status: 500, type: 'api_error' }))
    await expect(client([host.url, host.url]).chat('hi')).rejects.toMatchObject({
      type: 'upstream_error',
    })
    expect(mock.messageRequests()).toHaveLength(1)
  })

  it('aborting on the front door kills the CLI on the host', async () => {
    mock.setHandler(() => ({ kind: 'text', text: 'late', delayMs: 20_000 }))
    const controller = new AbortController()
    const pending = client([host.url]).chat('slow', { signal: controller.signal })
    await waitFor(() => mock.messageRequests().length > 0)
    expect(await processesIn(join(home, 'work'))).not.toEqual([])
    controller.abort()
    await expect(pending).rejects.toThrow(RunAbortedError)
    await allProcessesGone(join(home, 'work'), 10_000)
  })

  it('refuses a wrong token and another protocol version', async () => {
    await expect(client([host.url], 'wrong').chat('hi')).rejects.toThrow(UnauthorizedError)
    const res = await fetch(`${host.url}/runner/v1/health`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'x-runner-protocol': '2' },
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({
      type: 'protocol_mismatch',
      detail: expect.stringMatching(/protocol 1/),
    })
    const v2 = await fetch(`${host.url}/runner/v2/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(v2.status).toBe(400)
    expect(new ProtocolMismatchError('x').status).toBe(400)
  })

  it('a runner host refuses a public address without a token', async () => {
    await expect(startRunnerHost({ host: '0.0.0.0', port: 0, logLevel: 'silent' })).rejects.toThrow(
      ConfigError
    )
  })
})

describe("the tools a front door's runs may allow", () => {
  it('are those every host that is up allows, as their health says', async () => {
    const searcher = await startRunnerHost({
      port: 0,
      token: TOKEN,
      logLevel: 'silent',
      workDir: join(home, 'work-search'),
      allowedTools: ['WebSearch', 'Read'],
      runnerOptions: { env: cliEnv(home, mock.url), killGraceMs: 1_000 },
    })
    const tools = (urls: string[]) => createRemoteRunner({ urls, token: TOKEN }).tools?.()
    try {
      expect(await tools([searcher.url])).toEqual(['WebSearch', 'Read'])
      // A host that is down takes no runs: it does not narrow them.
      expect(await tools([searcher.url, deadUrl])).toEqual(['WebSearch', 'Read'])
      // Runs take turns over the hosts: only what both allow.
      expect(await tools([searcher.url, host.url])).toEqual([])
    } finally {
      await searcher.close()
    }
  })
})
