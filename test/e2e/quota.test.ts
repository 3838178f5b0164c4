/**
 * The subscription quota, through the real CLI on a subscription login against the mock sending
 * the API's `anthropic-ratelimit-unified-*` headers: shown in /llm/status, warned about in
 * headers and once in the log, refused with the real time to wait, in every dialect, without
 * starting a CLI while the login is out (but a probe), and open again after the reset.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, subscriptionEnv, tempDir, waitFor } from '../../dev-tools/cli-env.js'
import type { MockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import type { RunningServer } from '../../src/runtime/node/entry.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { captureLogger } from '../helpers/capture-logger.js'
import { createShiftedClock } from '../helpers/fake-clock.js'
import { type Fleet, startFleet } from '../helpers/fleet.js'
import { epoch, unifiedHeaders } from '../helpers/quota-headers.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

const rejectedReply = (resetIn: number) => {
  const headers = unifiedHeaders('rejected', 1, epoch(resetIn))
  return () => ({
    kind: 'error' as const,
    status: 429,
    type: 'rate_limit_error',
    message: 'limit reached',
    headers,
  })
}

let stack: TestStack
const log = captureLogger()
/** The runner's time: real, but moved past a reset instead of waited for. */
const clock = createShiftedClock()
beforeAll(async () => {
  stack = await startTestStack({
    subscription: true,
    logger: log.logger,
    runnerOptions: { quotaProbeMs: 2_000, clock },
  })
})
afterAll(() => stack?.close())
beforeEach(() => stack.mock.reset())

const status = async () => (await (await fetch(`${stack.url}/llm/status`)).json()).quota
const chat = (prompt: string) => stack.post('/llm/chat', { prompt })

describe('the subscription quota', () => {
  it('is shown in /llm/status, and warned about in headers and once in the log', async () => {
    expect(await status()).toBeNull()
    const headers = unifiedHeaders('allowed_warning', 0.91, epoch(1_800))
    stack.mock.setHandler(() => ({ kind: 'text', text: 'fine', headers }))
    const first = await chat('one')
    expect(first.status).toBe(200)
    expect(first.headers.get('x-claude-quota-utilization')).toBe('0.91')
    expect(first.headers.get('x-claude-quota-window')).toBe('five_hour')
    const quota = await status()
    expect(quota).toMatchObject({
      status: 'allowed_warning',
      window: 'five_hour',
      windows: { five_hour: { utilization: 0.91 }, seven_day: { utilization: 0.4 } },
    })
    expect(Math.abs(Date.parse(quota.resets_at) - (Date.now() + 1_800_000))).toBeLessThan(10_000)
    expect(Date.now() - Date.parse(quota.seen_at)).toBeLessThan(10_000)

    expect((await chat('two')).headers.get('x-claude-quota-utilization')).toBe('0.91')
    const metrics = await (await fetch(`${stack.url}/metrics`)).text()
    expect(metrics).toContain('cca_quota_utilization{window="five_hour"} 0.91')
    const warnings = log.lines.filter((l) => l.message === 'Claude login close to its quota')
    expect(warnings).toHaveLength(1)
  })

  it('refuses with the real reset time, then refuses without starting a CLI', async () => {
    stack.mock.setHandler(rejectedReply(1_800))
    const res = await chat('over the limit')
    expect(res.status).toBe(429)
    const retryAfter = Number(res.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(1_780)
    expect(retryAfter).toBeLessThanOrEqual(1_800)
    const body = await res.json()
    expect(body.type).toBe('quota_exhausted')
    expect(body.detail).toMatch(/5-hour limit .* used up; it resets at/)
    expect(Math.abs(Date.parse(body.reset_at) - (Date.now() + 1_800_000))).toBeLessThan(10_000)
    expect(await status()).toMatchObject({ status: 'rejected', overage_status: 'rejected' })

    // From now on nothing reaches the API (no CLI is started), in any dialect.
    const reached = stack.mock.messageRequests().length
    const again = await chat('still over')
    expect(again.status).toBe(429)
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(1_780)
    const openai = await stack.post('/v1/chat/completions', {
      model: 'haiku',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(openai.status).toBe(429)
    expect(Number(openai.headers.get('retry-after'))).toBeGreaterThan(1_780)
    expect((await openai.json()).error).toMatchObject({
      type: 'rate_limit_error',
      code: 'quota_exhausted',
    })
    const anthropic = await stack.post('/v1/messages', {
      model: 'haiku',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(anthropic.status).toBe(429)
    expect(await anthropic.json()).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.stringMatching(/5-hour limit/) },
    })
    expect(stack.mock.messageRequests()).toHaveLength(reached)
  })

  it('lets one probe through now and then, which notices a limit lifted early', async () => {
    // Still rejected (from the test before) with 30 minutes to go; the probe interval is 2 s.
    const reached = stack.mock.messageRequests().length
    expect((await chat('refused')).status).toBe(429)
    const lifted = await waitFor(
      async () => {
        const res = await chat('probe')
        return res.status === 200 && res
      },
      { timeoutMs: 10_000, intervalMs: 500 }
    )
    expect((await lifted.json()).text).toBe('ECHO: probe')
    expect(stack.mock.messageRequests()).toHaveLength(reached + 1)
    expect((await status()).status).toBe('allowed')
    expect((await chat('open again')).status).toBe(200)
  })

  it('opens again by itself once the reset time has passed', async () => {
    stack.mock.setHandler(rejectedReply(3))
    expect((await chat('over')).status).toBe(429)
    stack.mock.setHandler(() => ({ kind: 'text', text: 'back' }))
    clock.advance(4_000)
    const res = await chat('after the reset')
    expect(res.status).toBe(200)
    expect((await res.json()).text).toBe('back')
  })
})

describe('paid extra usage', () => {
  let keyed: TestStack
  let dir: string
  let allowed: string
  let plain: string
  beforeAll(async () => {
    dir = await tempDir('overage')
    const keysFile = join(dir, 'keys')
    allowed = (await createKey(keysFile, { name: 'paid', policy: { allow_overage: true } })).key
    plain = (await createKey(keysFile, { name: 'plain' })).key
    keyed = await startTestStack({ keysFile, subscription: true })
  })
  afterAll(async () => {
    await keyed?.close()
    await removeDir(dir)
  })
  const as = (key: string, prompt: string) =>
    keyed.post(
      '/llm/chat',
      { prompt },
      { headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }
    )

  it('runs the keys allowed it while the login spends it, and refuses the others with the reset', async () => {
    // The 5-hour window is used up, and the login goes on on paid extra usage.
    const headers = {
      ...unifiedHeaders('rejected', 1, epoch(1_800)),
      'anthropic-ratelimit-unified-overage-status': 'allowed',
      'anthropic-ratelimit-unified-overage-in-use': 'true',
    }
    keyed.mock.setHandler(() => ({ kind: 'text', text: 'on overage', headers }))
    expect((await as(allowed, 'first')).status).toBe(200)
    const status = await fetch(`${keyed.url}/llm/status`, {
      headers: { authorization: `Bearer ${allowed}` },
    })
    const { quota } = await status.json()
    expect(quota).toMatchObject({ status: 'rejected', using_overage: true })

    const reached = keyed.mock.messageRequests().length
    const refused = await as(plain, 'not mine to spend')
    expect(refused.status).toBe(429)
    const retryAfter = Number(refused.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(1_780)
    expect(retryAfter).toBeLessThanOrEqual(1_800)
    expect(await refused.json()).toMatchObject({
      type: 'overage_not_allowed',
      detail: expect.stringMatching(/paid extra usage .* 5-hour limit/),
    })
    expect(keyed.mock.messageRequests()).toHaveLength(reached)
    // The key allowed it still runs: the window is used up, the login is not.
    const paid = await as(allowed, 'second')
    expect(paid.status).toBe(200)
    expect((await paid.json()).text).toBe('on overage')
  })
})

describe('behind a front door', () => {
  let fleet: Fleet
  let mocks: MockAnthropic[]
  let front: RunningServer
  beforeAll(async () => {
    fleet = await startFleet('quota-fleet', subscriptionEnv)
    ;({ mocks, front } = fleet)
  })
  afterAll(() => fleet?.close())

  const run = (prompt: string) =>
    fetch(`${front.url}/llm/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt }),
    })

  it("skips a host whose login is used up, shows each host's quota, and refuses when all are", async () => {
    const [a, b] = mocks as [MockAnthropic, MockAnthropic]
    a.setHandler(rejectedReply(1_800))
    // The first run goes to host A, whose login turns out to be used up.
    const first = await run('first')
    expect(first.status).toBe(429)
    expect((await first.json()).type).toBe('quota_exhausted')
    // From then on runs go to host B, and host A is not even asked.
    for (const prompt of ['two', 'three', 'four']) {
      const res = await run(prompt)
      expect(res.status).toBe(200)
      expect((await res.json()).text).toBe(`ECHO: ${prompt}`)
    }
    expect(a.messageRequests()).toHaveLength(1)
    const { hosts: seen } = await (await fetch(`${front.url}/llm/status`)).json()
    expect(seen[0].quota).toMatchObject({ status: 'rejected', window: 'five_hour' })
    expect(seen[1].quota).toMatchObject({ status: 'allowed' })

    // Host B runs out too (sooner reset): then the front door refuses at once.
    b.setHandler(rejectedReply(900))
    expect((await run('five')).status).toBe(429)
    const reached = a.messageRequests().length + b.messageRequests().length
    const refused = await run('six')
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(880)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(900)
    expect(a.messageRequests().length + b.messageRequests().length).toBe(reached)
  })
})
