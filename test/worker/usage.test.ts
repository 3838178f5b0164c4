/**
 * Per-key limits at the edge, in workerd: two front door instances (as two isolates would be)
 * share each key's Durable Object, so `max_concurrent` and `daily_usd` hold across them, and a
 * place taken by a front door that vanished is freed when its lease runs out.
 */
import { env } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import type { KeyPolicy } from '../../src/auth/keys.js'
import type { UsageNamespace } from '../../src/runtime/worker/usage.js'
import { json, mock, mockRequests, sha256Hex, waitFor, workerWith } from './helpers.js'

const keys = new Map<string, { name: string; policy: KeyPolicy }>()
const KEYS = { get: async <T>(hash: string) => (keys.get(hash) ?? null) as T | null }
const addKey = async (key: string, name: string, policy: KeyPolicy) => {
  const hash = await sha256Hex(key)
  keys.set(hash, { name, policy })
  return hash
}

const chat = (app: ReturnType<typeof workerWith>, key: string, prompt = 'hi') =>
  app.request('/llm/chat', {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${key}` },
    body: JSON.stringify({ prompt }),
  })

beforeEach(async () => {
  await mock('reset', {})
})

describe('limits shared by front door instances through Durable Objects', () => {
  it('max_concurrent holds across two instances, and frees when the run ends', async () => {
    const key = 'cca_1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a'
    await addKey(key, 'one-at-a-time', { max_concurrent: 1 })
    const a = workerWith({ KEYS })
    const b = workerWith({ KEYS })
    await mock('reply', { kind: 'text', text: 'slow answer', delayMs: 1_500 })
    const first = chat(a, key, 'first')
    await waitFor(async () => (await mockRequests()).length > 0)
    const second = await chat(b, key, 'second')
    expect(second.status).toBe(429)
    expect(await second.json()).toMatchObject({
      type: 'quota_exceeded',
      detail: 'This key already has 1 run(s) in progress',
    })
    expect((await first).status).toBe(200)
    await mock('reset', {})
    expect((await chat(b, key, 'third')).status).toBe(200)
  })

  it("a tool call's follow-up through another instance goes on in the waiting run's one place", async () => {
    const key = 'cca_3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c'
    await addKey(key, 'one-tool-loop', { max_concurrent: 1 })
    const [a, b] = [workerWith({ KEYS }), workerWith({ KEYS })]
    const completions = (app: typeof a, messages: unknown[]) =>
      app.request('/v1/chat/completions', {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${key}` },
        body: JSON.stringify({
          model: 'haiku',
          messages,
          tools: [
            { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
          ],
        }),
      })
    await mock('reply', { kind: 'tool', name: 'mcp__client__get_weather', input: { city: 'Oslo' } })
    const question = { role: 'user', content: 'Oslo?' }
    const first = (await (await completions(a, [question])).json()) as {
      choices: Array<{ message: { tool_calls: Array<{ id: string }> } }>
    }
    const message = first.choices[0]?.message
    const callId = message?.tool_calls[0]?.id ?? ''
    // The waiting run holds the key's only place.
    expect((await chat(b, key, 'meanwhile')).status).toBe(429)
    await mock('reply', { kind: 'text', text: 'Cold.' })
    const answer = await completions(b, [
      question,
      message,
      { role: 'tool', tool_call_id: callId, content: '-3 C' },
    ])
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ choices: [{ message: { content: 'Cold.' } }] })
    // Given back at the end of the follow-up, on both instances.
    expect((await chat(a, key, 'after')).status).toBe(200)
    expect((await chat(b, key, 'after')).status).toBe(200)
  })

  it("the day's spend counts on every instance", async () => {
    const key = 'cca_2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b'
    await addKey(key, 'tiny-budget', { daily_usd: 0.00001 })
    const a = workerWith({ KEYS })
    const b = workerWith({ KEYS })
    // The one run admitted is capped at what is left (on the runner host), and spends it; its
    // answer, paid for, is given.
    const capped = await chat(a, key)
    expect(capped.status).toBe(200)
    expect(await capped.json<{ stop_reason: string }>()).toMatchObject({ stop_reason: 'end_turn' })
    const refused = await chat(b, key)
    expect(refused.status).toBe(429)
    expect((await refused.json<{ detail: string }>()).detail).toContain('daily budget')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await mockRequests()).toHaveLength(1)
  })

  it('a run the budget cannot pay a first call for is refused on every instance', async () => {
    const key = 'cca_6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f'
    const hash = await addKey(key, 'floor', { daily_usd: 0.01 })
    // The key's earlier runs, as an instance recorded them: $0.0095 spent, first calls $0.003.
    const usage = env.KEY_USAGE as UsageNamespace
    const totals = {
      runs: 1,
      input_tokens: 10,
      output_tokens: 3,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      usd: 0.0095,
    }
    const recorded = await usage
      .get(usage.idFromName(hash) as never)
      .fetch('https://usage/record', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: 'floor', totals, leastCallUsd: 0.003 }),
      })
    expect(recorded.status).toBe(200)
    for (const edge of [workerWith({ KEYS }), workerWith({ KEYS })]) {
      const refused = await chat(edge, key)
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(2)
      expect((await refused.json<{ detail: string }>()).detail).toMatch(
        /\$0.0005 left .* at the least/
      )
    }
    expect(await mockRequests()).toHaveLength(0)
  })

  it('a place held by a front door that vanished is freed when its lease runs out', async () => {
    const key = 'cca_3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c'
    const hash = await addKey(key, 'lost-lease', { max_concurrent: 1 })
    // A front door took the place and was never heard of again: no renewal, no release.
    const usage = env.KEY_USAGE as UsageNamespace
    const taken = await usage.get(usage.idFromName(hash) as never).fetch('https://usage/begin', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'lost-lease', limits: {}, leaseMs: 800 }),
    })
    expect(taken.status).toBe(200)
    const edge = workerWith({ KEYS })
    expect((await chat(edge, key)).status).toBe(429)
    // Freed once the lease (this test's 800 ms) runs out: waited for as it happens.
    await waitFor(async () => (await chat(edge, key)).status === 200, 5_000)
  })

  it('/admin/usage at the edge reads every key from its Durable Object', async () => {
    const key = 'cca_4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d'
    const admin = 'cca_5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f'
    const hash = await addKey(key, 'counted', { daily_usd: 3 })
    await addKey(admin, 'ops', { admin: true })
    expect((await chat(workerWith({ KEYS }), key)).status).toBe(200)
    expect((await chat(workerWith({ KEYS }), key)).status).toBe(200)
    // Read through a third instance, which ran nothing itself.
    const res = await workerWith({ KEYS }).request('/admin/usage', {
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(res.status).toBe(200)
    const { keys: usage } = await res.json<{
      keys: Record<string, { name: string; active: number; today: { runs: number } }>
    }>()
    expect(usage[hash.slice(0, 8)]).toMatchObject({
      name: 'counted',
      active: 0,
      today: { runs: 2 },
      // Its limits, from the KV store the key lives in (looked up, not listed).
      limits: { daily_usd: 3, max_concurrent: null },
    })
  })

  it('the dashboard at the edge: its page from the assets, and the state now for admin keys only', async () => {
    const admin = 'cca_6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e'
    const user = 'cca_7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a'
    await addKey(admin, 'ops', { admin: true })
    await addKey(user, 'someone', {})
    const edge = workerWith({ KEYS })
    const page = await edge.request('/admin')
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Dashboard')
    const status = await edge.request('/admin/status', {
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(status.status).toBe(200)
    const body = await status.json<{ status: { hosts: unknown[] }; runs: unknown[] }>()
    expect(body.status.hosts).toHaveLength(1)
    expect(body.runs).toEqual([])
    const refused = await edge.request('/admin/status', {
      headers: { authorization: `Bearer ${user}` },
    })
    expect(refused.status).toBe(403)
  })
})
