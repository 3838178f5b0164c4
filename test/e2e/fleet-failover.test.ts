/**
 * A front door over two runner hosts that are processes of their own (the real CLI, each against
 * its own mock), losing one: killed (SIGKILL) mid-run, wedged (SIGSTOP), started again, and
 * stopped (SIGTERM, which drains it). Only the runs on a host that died fail, each with a
 * retryable `host_lost` in every dialect; every later request is served by the other host.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { cliEnv, removeDir, tempDir, waitFor } from '../../dev-tools/cli-env.js'
import { type CliProcess, startRunnerProcess } from '../../dev-tools/cli-process.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { hostTag } from '../../src/adapters/remote/tool-routing.js'
import { type RunningServer, startServer } from '../../src/runtime/node/entry.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { launchChromium } from '../helpers/browser.js'
import { weatherModel, weatherSchema } from '../helpers/tool-mock.js'

type ToolCallMessage = { role: string; tool_calls: Array<{ id: string }> }

const TOKEN = 'a-long-random-runner-token-for-failover'
const SLOW = { kind: 'text', text: 'one two three four', chunks: 4, intervalMs: 400 } as const

let home: string
let mocks: MockAnthropic[]
let hosts: CliProcess[]
let front: RunningServer
let admin: string
let user: string

const hostEnv = (i: number) => ({
  ...cliEnv(join(home, `host-${i}`), mocks[i]?.url),
  CLAUDE_WORK_DIR: join(home, `host-${i}`, 'work'),
})
const startHost = (i: number, port = 0) =>
  startRunnerProcess({ env: hostEnv(i), token: TOKEN, port, graceMs: 15_000 })

beforeAll(async () => {
  home = await tempDir('failover')
  mocks = [await startMockAnthropic(), await startMockAnthropic()]
  hosts = [await startHost(0), await startHost(1)]
  const keysFile = join(home, 'keys')
  admin = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
  user = (await createKey(keysFile, { name: 'user' })).key
  front = await startServer({
    port: 0,
    logLevel: 'silent',
    keysFile,
    runnerUrls: hosts.map((h) => h.url),
    runnerToken: TOKEN,
    usageDb: join(home, 'front-usage.db'),
    workDir: join(home, 'front'),
    webDir: inject('webDir'),
  })
}, 60_000)
afterAll(async () => {
  await front?.close()
  for (const host of hosts ?? []) await host.kill('SIGKILL')
  for (const mock of mocks ?? []) await mock.close()
  await removeDir(home)
})

const send = (path: string, body: unknown, key = user) =>
  fetch(`${front.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
    // Every request has an answer within its deadline, or the test fails here.
    signal: AbortSignal.timeout(20_000),
  })
const status = async (key = admin) =>
  (await (
    await fetch(`${front.url}/llm/status`, { headers: { authorization: `Bearer ${key}` } })
  ).json()) as { hosts: Array<Record<string, unknown>> }
/** Until the front door sees host `i` up again (its probe runs every 2 s). */
const upAgain = (i: number) =>
  waitFor(async () => (await status()).hosts[i]?.up === true, { timeoutMs: 15_000 })

const DIALECTS = {
  native: ['/llm/chat', { prompt: 'go' }],
  openai: ['/v1/chat/completions', { model: 'haiku', messages: [{ role: 'user', content: 'go' }] }],
  anthropic: [
    '/v1/messages',
    { model: 'haiku', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] },
  ],
  responses: ['/v1/responses', { model: 'haiku', input: 'go' }],
} as const

describe('a runner host killed mid-run', () => {
  it.each(Object.entries(DIALECTS))(
    '%s: the run on it ends with a retryable host_lost; the one on the other host succeeds',
    async (_, [path, body]) => {
      for (const mock of mocks) mock.setHandler(() => SLOW)
      const before = mocks[0]?.messageRequests().length ?? 0
      // Two at once: runs take turns over the hosts, so one is on each.
      const pending = [send(path, body), send(path, body)]
      await waitFor(async () => (mocks[0]?.messageRequests().length ?? 0) > before, {
        timeoutMs: 15_000,
      })
      const port = (hosts[0] as CliProcess).port
      await hosts[0]?.kill('SIGKILL')
      const answers = await Promise.all(pending)
      const statuses = answers.map((a) => a.status).sort()
      expect(statuses).toEqual([200, 503])
      const lost = answers.find((a) => a.status === 503) as Response
      expect(lost.headers.get('retry-after')).toBe('1')
      expect(JSON.stringify(await lost.json())).toMatch(/host_lost|went away mid-run/)
      // Started again on its port, it takes runs again.
      hosts[0] = await startHost(0, port)
      await upAgain(0)
    },
    90_000
  )

  it('a stream cut off says so in its error event, with when to try again', async () => {
    for (const mock of mocks) mock.setHandler(() => SLOW)
    const before = mocks[0]?.messageRequests().length ?? 0
    const body = { model: 'haiku', stream: true, messages: [{ role: 'user', content: 'go' }] }
    const pending = [send('/v1/chat/completions', body), send('/v1/chat/completions', body)]
    await waitFor(async () => (mocks[0]?.messageRequests().length ?? 0) > before, {
      timeoutMs: 15_000,
    })
    const port = (hosts[0] as CliProcess).port
    // Both streams have begun: the cut comes mid-way, as an event.
    const streams = await Promise.all(pending)
    await hosts[0]?.kill('SIGKILL')
    const texts = await Promise.all(streams.map((s) => s.text()))
    const cut = texts.filter((t) => t.includes('host_lost'))
    expect(cut).toHaveLength(1)
    expect(cut[0]).toMatch(/"retry_after":1/)
    expect(texts.filter((t) => t.includes('[DONE]') && !t.includes('host_lost'))).toHaveLength(1)
    hosts[0] = await startHost(0, port)
    await upAgain(0)
  }, 60_000)
})

describe('after a host is gone', () => {
  it('every request goes to the other host; status and metrics show the dead one', async () => {
    for (const mock of mocks) mock.reset()
    const port = (hosts[0] as CliProcess).port
    await hosts[0]?.kill('SIGKILL')
    for (const prompt of ['one', 'two', 'three', 'four']) {
      const answer = await send('/llm/chat', { prompt })
      expect(answer.status).toBe(200)
      expect(((await answer.json()) as { text: string }).text).toBe(`ECHO: ${prompt}`)
    }
    expect(mocks[1]?.messageRequests()).toHaveLength(4)
    const seen = (await status()).hosts
    expect(seen[0]).toMatchObject({
      url: hosts[0]?.url,
      up: false,
      since: expect.any(String),
      last_error: expect.objectContaining({ message: expect.any(String) }),
    })
    expect(seen[1]).toMatchObject({ up: true, running: expect.any(Number), last_error: null })
    // A key that is not an admin sees the hosts without their addresses or errors.
    const forUser = JSON.stringify((await status(user)).hosts)
    expect(forUser).not.toContain('127.0.0.1')
    expect(forUser).not.toContain('ECONNREFUSED')
    const metrics = await (
      await fetch(`${front.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })
    ).text()
    expect(metrics).toContain(`cca_runner_host_up{host="${hosts[0]?.url}"} 0`)
    expect(metrics).toContain(`cca_runner_host_up{host="${hosts[1]?.url}"} 1`)
    expect(metrics).toMatch(/cca_runner_host_lost_runs_total\{host="[^"]+"\} [1-9]/)
    expect(metrics).toMatch(/cca_runner_host_failovers_total\{host="[^"]+"\} \d/)
    hosts[0] = await startHost(0, port)
    await upAgain(0)
    // Back: runs take turns again.
    await send('/llm/chat', { prompt: 'five' })
    await send('/llm/chat', { prompt: 'six' })
    expect(mocks[0]?.messageRequests().length).toBeGreaterThan(0)
  }, 60_000)

  it('a wedged host (SIGSTOP) holds no request: past its deadline the run goes to the other', async () => {
    for (const mock of mocks) mock.reset()
    hosts[0]?.child.kill('SIGSTOP')
    try {
      for (const prompt of ['one', 'two', 'three']) {
        const answer = await send('/llm/chat', { prompt })
        expect(answer.status).toBe(200)
      }
      expect(mocks[1]?.messageRequests()).toHaveLength(3)
      expect((await status()).hosts[0]?.up).toBe(false)
    } finally {
      hosts[0]?.child.kill('SIGCONT')
    }
    await upAgain(0)
  }, 60_000)
})

describe('the dashboard at a front door', () => {
  it('shows a dead host as down, with its last error, and the live one up', async () => {
    const port = (hosts[0] as CliProcess).port
    await hosts[0]?.kill('SIGKILL')
    expect((await send('/llm/chat', { prompt: 'one' })).status).toBe(200)
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      page.setDefaultTimeout(15_000)
      await page.goto(`${front.url}/admin`)
      await page.getByLabel('Admin key').fill(admin)
      await page.getByLabel('Admin key').dispatchEvent('change')
      const dead = page.locator('#hosts tbody tr', { hasText: hosts[0]?.url as string })
      await expect.poll(() => dead.textContent()).toMatch(/down.*ECONNREFUSED/)
      const live = page.locator('#hosts tbody tr', { hasText: hosts[1]?.url as string })
      expect(await live.textContent()).toContain('up')
    } finally {
      await browser.close()
    }
    hosts[0] = await startHost(0, port)
    await upAgain(0)
  }, 60_000)
})

describe('what a dead host held', () => {
  it('a tool call waiting on it is a 503 session_host_unavailable, at once', async () => {
    for (const mock of mocks) mock.setHandler(weatherModel)
    const tools = [
      { type: 'function', function: { name: 'get_weather', parameters: weatherSchema } },
    ]
    const question = { role: 'user', content: 'Weather?' }
    const first = await send('/v1/chat/completions', {
      model: 'haiku',
      messages: [question],
      tools,
    })
    const message = ((await first.json()) as { choices: Array<{ message: ToolCallMessage }> })
      .choices[0]?.message as ToolCallMessage
    const call = message.tool_calls[0] as ToolCallMessage['tool_calls'][number]
    const holder = hosts.findIndex((h) => call.id.endsWith(`~${hostTag(h.url)}`))
    const port = (hosts[holder] as CliProcess).port
    await hosts[holder]?.kill('SIGKILL')
    const followUp = await send('/v1/chat/completions', {
      model: 'haiku',
      messages: [question, message, { role: 'tool', tool_call_id: call.id, content: 'rainy' }],
      tools,
    })
    expect(followUp.status).toBe(503)
    expect(followUp.headers.get('retry-after')).toBeTruthy()
    expect(JSON.stringify(await followUp.json())).toContain('session_host_unavailable')
    hosts[holder] = await startHost(holder, port)
    await upAgain(holder)
  }, 60_000)
})

describe('a runner host stopped with SIGTERM', () => {
  it('finishes its runs in flight, takes no new one, and no request is lost', async () => {
    for (const mock of mocks) mock.setHandler(() => SLOW)
    const before = mocks[1]?.messageRequests().length ?? 0
    const first = [send('/llm/chat', { prompt: 'a' }), send('/llm/chat', { prompt: 'b' })]
    await waitFor(async () => (mocks[1]?.messageRequests().length ?? 0) > before, {
      timeoutMs: 15_000,
    })
    const exited = hosts[1]?.kill('SIGTERM')
    // Sent while it drains: served by the other host.
    const during = [send('/llm/chat', { prompt: 'c' }), send('/llm/chat', { prompt: 'd' })]
    const answers = await Promise.all([...first, ...during])
    const bodies = await Promise.all(answers.map((a) => a.text()))
    expect(
      answers.map((a) => a.status),
      bodies.join('\n')
    ).toEqual([200, 200, 200, 200])
    expect(await exited).toBe(0)
    // Gone: every request goes to the host that is left.
    for (const mock of mocks) mock.reset()
    expect((await send('/llm/chat', { prompt: 'e' })).status).toBe(200)
    expect(mocks[0]?.messageRequests()).toHaveLength(1)
  }, 60_000)
})
