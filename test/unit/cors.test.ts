import { describe, expect, it } from 'vitest'
import { createFakeRunner } from '../../dev-tools/fake-runner.js'
import { createApp } from '../../src/app.js'
import { hashKey } from '../../src/auth/keys.js'
import { staticKeySource } from '../../src/auth/middleware.js'
import { parseOrigins } from '../../src/http/cors.js'
import { loadConfig } from '../../src/runtime/node/config.js'
import { createWorkerApp } from '../../src/runtime/worker/entry.js'

const KEY = 'cca_0123456789abcdef0123456789abcdef'
const PAGE = 'https://chat.example.com'

const setup = async (corsOrigins?: string[]) => {
  const keys = staticKeySource([
    { hash: await hashKey(KEY), name: 'page', created: '2026-11-29 10:00', policy: {} },
  ])
  return createApp({ runner: createFakeRunner().runner, keys, corsOrigins })
}

const preflight = (app: Awaited<ReturnType<typeof setup>>, origin: string) =>
  app.request('/llm/chat', {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  })

describe('CORS', () => {
  it('answers a listed origin’s preflight before auth, and its requests', async () => {
    const app = await setup([PAGE])
    const res = await preflight(app, PAGE)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE)
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/)
    const chat = await app.request('/llm/chat', {
      method: 'POST',
      headers: { origin: PAGE, 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ prompt: 'hi' }),
    })
    expect(chat.status).toBe(200)
    expect(chat.headers.get('access-control-allow-origin')).toBe(PAGE)
    expect(chat.headers.get('access-control-expose-headers')).toMatch(/retry-after/)
    // The key is still needed for the request itself.
    const keyless = await app.request('/llm/chat', {
      method: 'POST',
      headers: { origin: PAGE, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hi' }),
    })
    expect(keyless.status).toBe(401)
  })

  it('gives other origins nothing, and by default every origin', async () => {
    const listed = await setup([PAGE])
    const other = await preflight(listed, 'https://evil.example.net')
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const none = await setup()
    const res = await preflight(none, PAGE)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.status).not.toBe(204)
  })

  it('reads CORS_ORIGINS, and reports an entry that is not an origin', () => {
    expect(parseOrigins(' https://a.example/ ,http://localhost:5173')).toEqual({
      origins: ['https://a.example', 'http://localhost:5173'],
      bad: undefined,
    })
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example' }).corsOrigins).toEqual([
      'https://a.example',
    ])
    expect(() => loadConfig({ CORS_ORIGINS: 'a.example' })).toThrow(/CORS_ORIGINS/)
  })

  it('works on the edge front door from its binding', async () => {
    const app = createWorkerApp({ CORS_ORIGINS: PAGE, API_AUTH_DISABLED: '1' })
    const res = await app.request('/health', { headers: { origin: PAGE } })
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE)
  })
})
