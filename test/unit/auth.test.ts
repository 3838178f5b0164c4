import { describe, expect, it } from 'vitest'
import { createFakeRunner, events, result } from '../../dev-tools/fake-runner.js'
import { createApp } from '../../src/app.js'
import { hashKey, type KeyPolicy, type KeyRecord } from '../../src/auth/keys.js'
import { staticKeySource } from '../../src/auth/middleware.js'
import { createMemoryUsageStore } from '../../src/usage/memory-store.js'
import { captureLogger } from '../helpers/capture-logger.js'

const KEY = 'cca_0123456789abcdef0123456789abcdef'
const OTHER = 'cca_fedcba9876543210fedcba9876543210'

const record = async (key: string, name: string, policy: KeyPolicy = {}): Promise<KeyRecord> => ({
  hash: await hashKey(key),
  name,
  created: '2026-11-24 10:00',
  policy,
})

const setup = async (policy: KeyPolicy = {}, adminPolicy: KeyPolicy = { admin: true }) => {
  const { logger, lines } = captureLogger()
  const fake = createFakeRunner()
  const usage = createMemoryUsageStore()
  const keys = staticKeySource([
    await record(KEY, 'app', policy),
    await record(OTHER, 'ops', adminPolicy),
  ])
  const app = createApp({ runner: fake.runner, keys, usage, logger })
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
  return { ...fake, app, post, lines, usage }
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

describe('API key authentication', () => {
  it('asks for a key with 401 and WWW-Authenticate', async () => {
    const { post, requests } = await setup()
    const res = await post('/llm/chat', { prompt: 'hi' })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(await res.json()).toMatchObject({
      type: 'unauthorized',
      detail: expect.stringMatching(/API key required/),
    })
    expect(requests).toHaveLength(0)
  })

  it('refuses an unknown key with 401', async () => {
    const { post } = await setup()
    const res = await post(
      '/llm/chat',
      { prompt: 'hi' },
      bearer('cca_ffffffffffffffffffffffffffffffff')
    )
    expect(res.status).toBe(401)
    expect((await res.json()).detail).toBe('Invalid API key')
  })

  it('accepts Bearer (any case) and x-api-key', async () => {
    const { post } = await setup()
    for (const headers of [bearer(KEY), { authorization: `bearer ${KEY}` }, { 'x-api-key': KEY }]) {
      expect((await post('/llm/chat', { prompt: 'hi' }, headers)).status).toBe(200)
    }
  })

  it('leaves /health, /docs and /openapi.json public, and guards the rest', async () => {
    const { app } = await setup()
    for (const path of ['/health', '/docs', '/openapi.json']) {
      expect((await app.request(path)).status, path).toBe(200)
    }
    for (const path of ['/llm/status', '/llm/models', '/admin/usage']) {
      expect((await app.request(path)).status, path).toBe(401)
    }
  })

  it('logs one line per request with the key name, never the key', async () => {
    const { post, lines } = await setup()
    await post('/llm/chat', { prompt: 'hi', model: 'sonnet' }, bearer(KEY))
    const line = lines.find((l) => l.message === 'request')
    expect(line).toMatchObject({
      key: 'app',
      method: 'POST',
      path: '/llm/chat',
      status: 200,
      model: 'claude-fake-1',
      cost_usd: 0.001,
      id: expect.any(String),
      duration_ms: expect.any(Number),
    })
    expect(JSON.stringify(lines)).not.toContain(KEY)
  })

  it('is off when the source says so', async () => {
    const fake = createFakeRunner()
    const app = createApp({ runner: fake.runner, keys: staticKeySource([], false) })
    const res = await app.request('/llm/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hi' }),
    })
    expect(res.status).toBe(200)
  })
})

describe('per-key policy', () => {
  it('refuses a model outside the key policy with 403 before running', async () => {
    const { post, requests } = await setup({ models: ['haiku'] })
    const res = await post('/llm/chat', { prompt: 'hi', model: 'opus' }, bearer(KEY))
    expect(res.status).toBe(403)
    expect((await res.json()).detail).toMatch(/opus/)
    expect((await post('/llm/chat', { prompt: 'hi' }, bearer(KEY))).status).toBe(200)
    expect(requests).toHaveLength(1)
  })

  it('refuses a tool outside the key policy with 403', async () => {
    const { post, requests } = await setup({ tools: ['Read'] })
    const res = await post(
      '/llm/query',
      { prompt: 'x', allowed_tools: ['Read', 'Bash'] },
      bearer(KEY)
    )
    expect(res.status).toBe(403)
    expect((await res.json()).detail).toMatch(/Bash/)
    expect(requests).toHaveLength(0)
  })

  it('limits concurrent runs per key with 429 and Retry-After', async () => {
    const { post, setScript } = await setup({ max_concurrent: 1 })
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    setScript(async function* () {
      yield { type: 'started' }
      await gate
      yield result('done')
    })
    const first = post('/llm/chat', { prompt: 'slow' }, bearer(KEY))
    await new Promise((r) => setTimeout(r, 20))
    const second = await post('/llm/chat', { prompt: 'again' }, bearer(KEY))
    expect(second.status).toBe(429)
    expect(await second.json()).toMatchObject({ type: 'quota_exceeded' })
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0)
    // Another key is not affected.
    const other = post('/llm/chat', { prompt: 'other' }, bearer(OTHER))
    release()
    expect((await first).status).toBe(200)
    expect((await other).status).toBe(200)
    expect((await post('/llm/chat', { prompt: 'after' }, bearer(KEY))).status).toBe(200)
  })

  it('stops a key at its daily budget with 429 until UTC midnight', async () => {
    const { post, setScript } = await setup({ daily_usd: 0.05 })
    setScript(events({ type: 'started' }, result('pricey', { totalCostUsd: 0.03 })))
    expect((await post('/llm/chat', { prompt: '1' }, bearer(KEY))).status).toBe(200)
    expect((await post('/llm/chat', { prompt: '2' }, bearer(KEY))).status).toBe(200)
    const third = await post('/llm/chat', { prompt: '3' }, bearer(KEY))
    expect(third.status).toBe(429)
    expect((await third.json()).detail).toMatch(/daily budget/)
    const retry = Number(third.headers.get('retry-after'))
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(86_400)
  })

  it('passes the key as the owner of kept sessions', async () => {
    const { post, requests } = await setup()
    await post('/llm/query', { prompt: 'x', persist_session: true }, bearer(KEY))
    expect(requests[0]?.owner).toBe(await hashKey(KEY))
  })

  it('shows usage per key to an admin key only', async () => {
    const { post, app } = await setup()
    await post('/llm/chat', { prompt: 'hi' }, bearer(KEY))
    expect((await app.request('/admin/usage', { headers: bearer(KEY) })).status).toBe(403)
    const res = await app.request('/admin/usage', { headers: bearer(OTHER) })
    expect(res.status).toBe(200)
    const { keys } = await res.json()
    const app8 = (await hashKey(KEY)).slice(0, 8)
    expect(keys[app8]).toMatchObject({
      name: 'app',
      active: 0,
      today: { runs: 1, input_tokens: 10, output_tokens: 2, usd: 0.001 },
      total: { runs: 1 },
    })
    const today = new Date().toISOString().slice(0, 10)
    expect(keys[app8].days).toEqual([
      {
        date: today,
        runs: 1,
        input_tokens: 10,
        output_tokens: 2,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        usd: 0.001,
      },
    ])
    const week = await app.request('/admin/usage?days=7', { headers: bearer(OTHER) })
    expect((await week.json()).days).toBe(7)
    const bad = await app.request('/admin/usage?days=0', { headers: bearer(OTHER) })
    expect(bad.status).toBe(422)
  })
})
