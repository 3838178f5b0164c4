/**
 * Faults on the real CLI (and, where the real one cannot misbehave on demand, the fake one):
 * each is answered within seconds, with the right status, and leaves no process behind.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  allProcessesGone,
  FAKE_CLAUDE,
  FAKE_CLAUDE_ENV,
  FIXTURES,
  processesIn,
  waitFor,
} from '../../dev-tools/cli-env.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

describe('upstream failures (real CLI)', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack()
  })
  afterAll(async () => {
    expect(await processesIn(stack.workDir)).toEqual([])
    await stack?.close()
  })
  beforeEach(() => stack.mock.reset())

  it.each([
    [401, 'authentication_error', 503, 'upstream_auth_error'],
    [403, 'permission_error', 503, 'upstream_auth_error'],
    [429, 'rate_limit_error', 429, 'rate_limited'],
    [529, 'overloaded_error', 503, 'overloaded'],
    [500, 'api_error', 502, 'upstream_error'],
  ])('mock answers %i %s → %i %s', async (upstream, errorType, status, type) => {
    stack.mock.setHandler(() => ({
      kind: 'error',
      status: upstream,
      type: errorType,
      message: 'mock failure at internal-host.example',
      headers: upstream === 429 ? { 'retry-after': '1' } : undefined,
    }))
    const res = await stack.post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(status)
    const body = await res.json()
    expect(body.type).toBe(type)
    expect(JSON.stringify(body)).not.toContain('internal-host')
    if (status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    if (type === 'overloaded') expect(res.headers.get('retry-after')).toBeTruthy()
  })

  it('a stream that stalls mid-answer hits the deadline: 504, process gone', async () => {
    stack.mock.setHandler(() => ({ kind: 'stall' }))
    const res = await stack.post('/llm/chat', { prompt: 'hi', timeout_ms: 2_500 })
    expect(res.status).toBe(504)
    expect((await res.json()).type).toBe('deadline_exceeded')
    await allProcessesGone(stack.workDir, 10_000)
  })

  it('a failure during a stream becomes an error event, then end', async () => {
    stack.mock.setHandler(() => ({ kind: 'error', status: 500, type: 'api_error' }))
    const res = await stack.post('/llm/chat/stream', { prompt: 'hi' })
    expect(res.status).toBe(200)
    const data = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)))
    expect(data.map((d) => d.type)).toEqual(['start', 'error', 'end'])
    expect(data[1]).toMatchObject({ error_type: 'upstream_error' })
  })

  it('a client that disconnects mid-stream kills the CLI at once', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'slow', delayMs: 20_000 }))
    const client = new AbortController()
    const res = await stack.post('/llm/chat/stream', { prompt: 'hi' }, { signal: client.signal })
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await waitFor(async () => (await processesIn(stack.workDir)).length > 0)
    await waitFor(() => stack.mock.messageRequests().length > 0)
    client.abort()
    await allProcessesGone(stack.workDir, 10_000)
    const status = await (await fetch(`${stack.url}/llm/status`)).json()
    expect(status.capacity.running).toBe(0)
  })

  it('a client that disconnects from a plain chat kills the CLI too', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'slow', delayMs: 20_000 }))
    const client = new AbortController()
    const pending = stack.post('/llm/chat', { prompt: 'hi' }, { signal: client.signal })
    pending.catch(() => {})
    await waitFor(() => stack.mock.messageRequests().length > 0)
    client.abort()
    await allProcessesGone(stack.workDir, 10_000)
  })
})

describe('capacity (real CLI)', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack({ maxConcurrency: 1, maxQueue: 1 })
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('queues, rejects beyond the queue with 429, and counts queueing against the deadline', async () => {
    // The status probe runs the CLI twice on its first call: done before the timed part.
    await (await fetch(`${stack.url}/llm/status`)).arrayBuffer()
    stack.mock.setHandler(() => ({ kind: 'text', text: 'slow', delayMs: 4_000 }))
    const first = stack.post('/llm/chat', { prompt: 'first' })
    await waitFor(() => stack.mock.messageRequests().length > 0)
    // Second waits in the queue, with a deadline shorter than the first run.
    const second = stack.post('/llm/chat', { prompt: 'second', timeout_ms: 1_500 })
    await waitFor(async () => {
      const status = await (await fetch(`${stack.url}/llm/status`)).json()
      return status.capacity.queued === 1 && status.capacity.running === 1
    })
    const third = await stack.post('/llm/chat', { prompt: 'third' })
    expect(third.status).toBe(429)
    expect((await third.json()).type).toBe('queue_full')
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)

    const secondRes = await second
    // Its deadline ran while it queued: the first run still holds the slot when it passes.
    expect(secondRes.status).toBe(504)
    const status = await (await fetch(`${stack.url}/llm/status`)).json()
    expect(status.capacity).toMatchObject({ running: 1, queued: 0 })
    expect((await first).status).toBe(200)
    expect(stack.mock.messageRequests().map((r) => r.body.messages?.length)).toHaveLength(1)
  })
})

describe('CLI missing or not logged in', () => {
  it('a missing binary is a 503 and /llm/status says unavailable', async () => {
    const stack = await startTestStack({ runnerOptions: { binary: '/nonexistent/claude' } })
    try {
      const res = await stack.post('/llm/chat', { prompt: 'hi' })
      expect(res.status).toBe(503)
      expect((await res.json()).type).toBe('cli_not_found')
      const stream = await stack.post('/llm/chat/stream', { prompt: 'hi' })
      expect(stream.status).toBe(503)
      const status = await (await fetch(`${stack.url}/llm/status`)).json()
      expect(status).toMatchObject({ available: false, version: null })
    } finally {
      await stack.close()
    }
  })

  it('a CLI with no credentials is a 503 not_logged_in, without calling the API', async () => {
    const stack = await startTestStack({ noCredentials: true })
    try {
      const res = await stack.post('/llm/chat', { prompt: 'hi' })
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({
        type: 'not_logged_in',
        detail: expect.stringContaining('claude auth login'),
      })
      expect(stack.mock.messageRequests()).toHaveLength(0)
    } finally {
      await stack.close()
    }
  })
})

describe('protocol faults (fake CLI)', () => {
  const fake = (mode: string, extra: Record<string, string> = {}) =>
    startTestStack({
      runnerOptions: { binary: FAKE_CLAUDE, killGraceMs: 500, passEnv: FAKE_CLAUDE_ENV },
      cliEnv: { FAKE_CLAUDE_MODE: mode, ...extra },
    })

  it('a malformed line is a 502 protocol_error and the process is stopped', async () => {
    const stack = await fake('malformed')
    try {
      const res = await stack.post('/llm/chat', { prompt: 'hi' })
      expect(res.status).toBe(502)
      expect((await res.json()).type).toBe('protocol_error')
      expect(await processesIn(stack.workDir)).toEqual([])
    } finally {
      await stack.close()
    }
  })

  it('an exit without a result is a 502 protocol_error', async () => {
    const stack = await fake('no-result')
    try {
      const res = await stack.post('/llm/chat', { prompt: 'hi' })
      expect(res.status).toBe(502)
      expect(await res.json()).toMatchObject({
        type: 'protocol_error',
        detail: expect.stringContaining('without a result'),
      })
    } finally {
      await stack.close()
    }
  })

  it('stderr is never sent to the client', async () => {
    const stack = await fake('stderr', {
      FAKE_CLAUDE_STDERR: 'secret token sk-ant-123 at /home/op',
    })
    try {
      const res = await stack.post('/llm/chat', { prompt: 'hi' })
      expect(res.status).toBe(502)
      expect(await res.text()).not.toMatch(/secret|sk-ant|\/home/)
    } finally {
      await stack.close()
    }
  })

  it('a CLI that ignores SIGTERM is killed after the grace period', async () => {
    const stack = await fake('ignore-sigterm')
    try {
      const res = await stack.post('/llm/chat', { prompt: 'hi', timeout_ms: 1_000 })
      expect(res.status).toBe(504)
      expect(await processesIn(stack.workDir)).toEqual([])
    } finally {
      await stack.close()
    }
  })

  it('a result with is_error and exit code 0 is still a failure', async () => {
    const stack = await fake('fixture', {
      FAKE_CLAUDE_FIXTURE: join(FIXTURES, 'stream-json-api-529.stdout'),
      FAKE_CLAUDE_EXIT: '0',
    })
    try {
      const res = await stack.post('/llm/chat', { prompt: 'hi' })
      expect(res.status).toBe(503)
      expect((await res.json()).type).toBe('overloaded')
    } finally {
      await stack.close()
    }
  })
})
