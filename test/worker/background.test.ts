/**
 * Background responses at the edge (workerd, a runner host with the real CLI, the mock API): a run
 * started through one front door is polled, its stream resumed from `starting_after`, and
 * cancelled through another that shares nothing with it but the key's Durable Object.
 */
import { env, runInDurableObject } from 'cloudflare:test'
import { beforeEach, describe, expect, inject, it } from 'vitest'
import type { UsageNamespace } from '../../src/runtime/worker/usage.js'
import { json, mock, waitFor, workerWith } from './helpers.js'

const KEY = 'cca_5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e'
const auth = { ...json, authorization: `Bearer ${KEY}` }
const TEXT = 'one two three four five six'

type Event = { type: string; sequence_number: number; delta?: string; response?: { id: string } }
type Edge = ReturnType<typeof workerWith>

beforeEach(async () => {
  await mock('reset', {})
})

const start = async (edge: Edge, body: Record<string, unknown>) =>
  edge.request('/v1/responses', {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ model: 'haiku', input: 'go', background: true, ...body }),
  })
const get = (edge: Edge, path: string) => edge.request(path, { headers: auth })

/** The SSE events of a response body, read until `stopAfter` says to stop. */
const readEvents = async (response: Response, stopAfter?: (event: Event) => boolean) => {
  const events: Event[] = []
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const line of lines.filter((l) => l.startsWith('data: '))) {
      const event = JSON.parse(line.slice(6)) as Event
      events.push(event)
      if (stopAfter?.(event)) {
        await reader.cancel()
        return events
      }
    }
  }
  return events
}

describe('background responses at the edge', () => {
  it('are polled and resumed through another front door, without gaps or duplicates', async () => {
    const [a, b] = [workerWith({}), workerWith({})]
    await mock('reply', { kind: 'text', text: TEXT, chunks: 6, intervalMs: 300 })
    let deltas = 0
    const first = await readEvents(
      await start(a, { stream: true }),
      (e) => e.type === 'response.output_text.delta' && ++deltas === 2
    )
    const id = first[0]?.response?.id as string
    const last = first.at(-1)?.sequence_number as number
    // The other front door sees the run under way…
    const polled = (await (await get(b, `/v1/responses/${id}`)).json()) as { status: string }
    expect(polled.status).toBe('in_progress')
    // …and follows it from the last event the client saw, to its end.
    const rest = await readEvents(
      await get(b, `/v1/responses/${id}?stream=true&starting_after=${last}`)
    )
    expect(rest.map((e) => e.sequence_number)).toEqual(rest.map((_, i) => last + 1 + i))
    const text = [...first, ...rest].map((e) => e.delta ?? '').join('')
    expect(text).toBe(TEXT)
    expect(rest.at(-1)?.type).toBe('response.completed')
    const done = (await (await get(b, `/v1/responses/${id}`)).json()) as Record<string, unknown>
    expect(done).toMatchObject({ status: 'completed', output_text: TEXT })
  })

  it('is cancelled through another front door: the run stops', async () => {
    const [a, b] = [workerWith({}), workerWith({})]
    await mock('reply', { kind: 'text', text: 'slow', delayMs: 20_000 })
    const started = (await (await start(a, {})).json()) as { id: string; status: string }
    expect(started.status).toBe('in_progress')
    const cancelled = await b.request(`/v1/responses/${started.id}/cancel`, {
      method: 'POST',
      headers: auth,
    })
    expect(await cancelled.json()).toMatchObject({ status: 'cancelled' })
    await waitFor(async () => {
      const polled = (await (await get(a, `/v1/responses/${started.id}`)).json()) as {
        status: string
      }
      return polled.status === 'cancelled'
    })
  })

  it("another key's background response does not exist", async () => {
    const [a, b] = [workerWith({}), workerWith({ API_AUTH_DISABLED: '1' })]
    await mock('reply', { kind: 'text', text: 'hi' })
    const started = (await (await start(a, {})).json()) as { id: string }
    const other = await b.request(`/v1/responses/${started.id}?stream=true`)
    expect(other.status).toBe(404)
    const cancel = await b.request(`/v1/responses/${started.id}/cancel`, { method: 'POST' })
    expect(cancel.status).toBe(404)
  })

  it('one whose front door went away ends failed, for pollers and followers alike', async () => {
    // A front door opened the run in the key's object and was never heard of again.
    const usage = env.KEY_USAGE as UsageNamespace
    const stub = usage.get(usage.idFromName(`responses:${inject('keyHash')}`) as never)
    const id = 'resp_vanished'
    const snapshot = { id, object: 'response', status: 'in_progress', output: [] }
    const opened = await stub.fetch(`https://usage/background/${id}/open`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        owner: inject('keyHash'),
        events: [{ type: 'response.created', sequence_number: 0, response: snapshot }],
        snapshot,
      }),
    })
    expect(opened.status).toBe(200)
    const edge = workerWith({})
    expect(await (await get(edge, `/v1/responses/${id}`)).json()).toMatchObject({
      status: 'in_progress',
    })
    await runInDurableObject(stub as never, async (_, state: DurableObjectState) => {
      state.storage.sql.exec('UPDATE background SET seen_at = 0 WHERE id = ?', id)
    })
    expect(await (await get(edge, `/v1/responses/${id}`)).json()).toMatchObject({
      status: 'failed',
      error: { code: 'runner_unavailable' },
    })
    const events = await readEvents(await get(edge, `/v1/responses/${id}?stream=true`))
    expect(events.map((e) => [e.sequence_number, e.type])).toEqual([
      [0, 'response.created'],
      [1, 'response.failed'],
    ])
  })
})
