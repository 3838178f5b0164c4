/**
 * The app over a fake runner: how each failure becomes an HTTP error, and the SSE framing of
 * /llm/chat/stream (ids, keep-alives, errors mid-stream, a client that leaves).
 */
import { describe, expect, it } from 'vitest'
import { events, result } from '../../dev-tools/fake-runner.js'
import type { RunEvent } from '../../src/contract/runner.js'
import {
  BudgetExceededError,
  CliNotFoundError,
  CliProtocolError,
  DeadlineExceededError,
  MaxTurnsError,
  NotLoggedInError,
  OverloadedError,
  PolicyError,
  QueueFullError,
  RateLimitedError,
  SessionNotFoundError,
  UpstreamApiError,
  UpstreamAuthError,
} from '../../src/errors/index.js'
import { parseSse, setupApp as setup } from '../helpers/fake-app.js'

describe('error mapping', () => {
  it.each([
    [new CliNotFoundError('x'), 503, 'cli_not_found'],
    [new NotLoggedInError('x'), 503, 'not_logged_in'],
    [new UpstreamAuthError('x'), 503, 'upstream_auth_error'],
    [new RateLimitedError('x', { retryAfter: 42 }), 429, 'rate_limited'],
    [new QueueFullError('x', { retryAfter: 3 }), 429, 'queue_full'],
    [new OverloadedError('x', { retryAfter: 5 }), 503, 'overloaded'],
    [new UpstreamApiError('x'), 502, 'upstream_error'],
    [new CliProtocolError('x'), 502, 'protocol_error'],
    [new MaxTurnsError('x'), 422, 'max_turns_exceeded'],
    [new BudgetExceededError('x'), 422, 'budget_exceeded'],
    [new DeadlineExceededError('x'), 504, 'deadline_exceeded'],
    [new SessionNotFoundError('x'), 404, 'session_not_found'],
    [new PolicyError('x'), 403, 'forbidden'],
  ])('%s → %i %s', async (error, status, type) => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, error))
    const res = await post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(status)
    expect(await res.json()).toEqual({ detail: 'x', type })
    expect(res.headers.get('retry-after')).toBe(error.retryAfter ? String(error.retryAfter) : null)
  })

  it('tells when a rate limit resets', async () => {
    const { post, setScript } = setup()
    const resetAt = new Date(Date.now() + 3_600_000)
    setScript(events(new RateLimitedError('limit', { retryAfter: 3600, resetAt })))
    const res = await post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(429)
    expect(await res.json()).toEqual({
      detail: 'limit',
      type: 'rate_limited',
      reset_at: resetAt.toISOString(),
    })
  })

  it('hides unexpected errors behind a 500', async () => {
    const { post, setScript } = setup()
    setScript(events(new Error('secret internals')))
    const res = await post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ detail: 'Internal server error', type: 'internal_error' })
  })
})

describe('SSE framing of /llm/chat/stream', () => {
  const delta = (text: string): RunEvent => ({ type: 'text_delta', text })

  it('sends start, chunks, end, each with an id', async () => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, delta('Once'), delta(' upon'), result('Once upon')))
    const res = await post('/llm/chat/stream', { prompt: 'story' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const sse = parseSse(await res.text())
    expect(sse.map((e) => e.data)).toEqual([
      { type: 'start' },
      { type: 'chunk', text: 'Once' },
      { type: 'chunk', text: ' upon' },
      { type: 'end' },
    ])
    expect(sse.map((e) => e.id)).toEqual(['0', '1', '2', '3'])
  })

  it('sends the result as one chunk when no delta came', async () => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, result('whole')))
    const sse = parseSse(await (await post('/llm/chat/stream', { prompt: 'x' })).text())
    expect(sse.map((e) => e.data?.type)).toEqual(['start', 'chunk', 'end'])
    expect(sse[1]?.data).toEqual({ type: 'chunk', text: 'whole' })
  })

  it('reports a failure mid-stream as an error event, then end', async () => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, delta('par'), new OverloadedError('busy upstream')))
    const sse = parseSse(await (await post('/llm/chat/stream', { prompt: 'x' })).text())
    expect(sse.map((e) => e.data)).toEqual([
      { type: 'start' },
      { type: 'chunk', text: 'par' },
      { type: 'error', message: 'busy upstream', error_type: 'overloaded' },
      { type: 'end' },
    ])
  })

  it('never sends internal error text in an error event', async () => {
    const { post, setScript } = setup()
    setScript(events({ type: 'started' }, new Error('stderr: secret path /home/x')))
    const text = await (await post('/llm/chat/stream', { prompt: 'x' })).text()
    expect(text).not.toContain('secret')
    expect(text).toContain('Internal server error')
  })

  it('answers failures before the run starts with an HTTP status', async () => {
    const { post, setScript } = setup()
    setScript(events(new QueueFullError('full', { retryAfter: 7 })))
    const res = await post('/llm/chat/stream', { prompt: 'x' })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('7')
  })

  it('sends keep-alive comments while waiting', async () => {
    const { post, setScript } = setup({ heartbeatMs: 20 })
    setScript(async function* () {
      yield { type: 'queued', position: 1 }
      await new Promise((resolve) => setTimeout(resolve, 120))
      yield result('late')
    })
    const sse = parseSse(await (await post('/llm/chat/stream', { prompt: 'x' })).text())
    expect(sse.filter((e) => e.comment === 'keep-alive').length).toBeGreaterThanOrEqual(2)
    expect(sse.filter((e) => e.data).map((e) => e.data?.type)).toEqual(['start', 'chunk', 'end'])
  })

  it('aborts the run when the client goes away', async () => {
    const { app, setScript } = setup()
    let aborted = false
    setScript(async function* (_request, { signal }) {
      yield { type: 'started' }
      await new Promise<void>((resolve) => {
        signal?.addEventListener('abort', () => {
          aborted = true
          resolve()
        })
      })
    })
    const client = new AbortController()
    const res = await app.request('/llm/chat/stream', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x' }),
      signal: client.signal,
    })
    const reader = res.body?.getReader()
    await reader?.read()
    await reader?.cancel()
    expect(await waitUntil(() => aborted)).toBe(true)
  })
})

const waitUntil = async (check: () => boolean, timeoutMs = 2_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  return check()
}
