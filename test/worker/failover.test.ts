/**
 * The edge front door losing a runner host mid-run (workerd; the host is a process of its own,
 * killed through the setup's control server): the run on it ends with a retryable `host_lost`,
 * the one on the other host is answered, and every later request goes to the host that is left.
 */
import { afterAll, describe, expect, inject, it } from 'vitest'
import { json, mock, mockRequests, waitFor, workerWith } from './helpers.js'

const KEY = 'cca_5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e'
const auth = { ...json, authorization: `Bearer ${KEY}` }
const control = (action: 'kill' | 'start') =>
  fetch(`${inject('controlUrl')}/${action}`, { method: 'POST' })

afterAll(async () => {
  await control('start')
})

describe('a runner host killed mid-run, at the edge', () => {
  it('costs only the run on it (503 host_lost, Retry-After); later requests go to the other host', async () => {
    const edge = workerWith({ RUNNER_URLS: `${inject('killableUrl')},${inject('runnerUrl')}` })
    const chat = (prompt: string) =>
      edge.request('/llm/chat', { method: 'POST', headers: auth, body: JSON.stringify({ prompt }) })
    await mock('reset', {})
    await mock('reply', { kind: 'text', text: 'one two three four', chunks: 4, intervalMs: 400 })
    // Two at once: runs take turns over the hosts, so one is on each.
    const pending = [chat('a'), chat('b')]
    await waitFor(async () => (await mockRequests()).length >= 2, 15_000)
    expect((await control('kill')).status).toBe(200)
    const answers = await Promise.all(pending)
    expect(answers.map((a) => a.status).sort()).toEqual([200, 503])
    const lost = answers.find((a) => a.status === 503) as Response
    expect(lost.headers.get('retry-after')).toBe('1')
    expect(await lost.json()).toMatchObject({ type: 'host_lost' })
    await mock('reset', {})
    for (const prompt of ['one', 'two', 'three']) {
      const answer = await chat(prompt)
      expect(answer.status).toBe(200)
      expect(await answer.json()).toMatchObject({ text: `ECHO: ${prompt}` })
    }
    const status = await (await edge.request('/llm/status', { headers: auth })).json<{
      hosts: Array<{ up: boolean; lost_runs: number }>
    }>()
    expect(status.hosts.map((h) => h.up)).toEqual([false, true])
    expect(status.hosts[0]?.lost_runs).toBe(1)
  }, 60_000)
})

describe('a kept session whose runner host was killed, at the edge', () => {
  it('resumes with its history on the other host, from another isolate', async () => {
    await control('start')
    await mock('reset', {})
    const query = (edge: ReturnType<typeof workerWith>, body: unknown) =>
      edge.request('/llm/query', { method: 'POST', headers: auth, body: JSON.stringify(body) })
    const first = await query(workerWith({ RUNNER_URLS: inject('killableUrl') }), {
      prompt: 'the word is HERON',
      persist_session: true,
    })
    expect(first.status).toBe(200)
    const { session_id } = await first.json<{ session_id: string }>()
    expect((await control('kill')).status).toBe(200)
    const other = workerWith({ RUNNER_URLS: `${inject('killableUrl')},${inject('runnerUrl')}` })
    const second = await query(other, { prompt: 'which word?', session_id })
    expect(second.status).toBe(200)
    expect(await second.json()).toMatchObject({ text: 'ECHO: which word?' })
    const seen = JSON.stringify((await mockRequests()).at(-1)?.body)
    expect(seen).toContain('the word is HERON')
  })
})
