/**
 * Keys' own logins at the edge: the Worker passes a key's login by name to the runner host that
 * holds it (the host has one, `edge`), so the run carries that login's token and no other.
 */
import { describe, expect, inject, it } from 'vitest'
import { json, mock, mockRequests, sha256Hex, workerWith } from './helpers.js'

describe('a KV key on its own login', () => {
  it("a KV key on its own login runs on the runner host's login of that name, and only there", async () => {
    const keyed = async (kvKey: string, login: string) => {
      const store = new Map([[await sha256Hex(kvKey), { name: login, policy: { login } }]])
      return workerWith({
        KEYS: { get: async <T>(key: string) => (store.get(key) ?? null) as T | null },
      }).request('/llm/chat', {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${kvKey}` },
        body: JSON.stringify({ prompt: 'on my login' }),
      })
    }
    await mock('reset', {})
    const ok = await keyed('cca_7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c', 'edge')
    expect(ok.status).toBe(200)
    const calls = (await mockRequests()) as Array<{ headers: Record<string, string> }>
    expect(calls.length).toBeGreaterThan(0)
    for (const call of calls) {
      expect(call.headers.authorization).toBe(`Bearer ${inject('edgeLoginToken')}`)
    }
    // A login no runner host holds: refused by its own type, and run on no other login.
    await mock('reset', {})
    const missing = await keyed('cca_7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d', 'nobody')
    expect(missing.status).toBe(403)
    expect(await missing.json()).toMatchObject({ type: 'login_missing' })
    expect(await mockRequests()).toHaveLength(0)
  })
})
