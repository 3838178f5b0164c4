/**
 * Access control on the real server (real CLI, mock Messages API): keys from the file, hot
 * reload, session ownership, and the refusal to start open on a public address.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir, waitFor } from '../../dev-tools/cli-env.js'
import { ConfigError } from '../../src/errors/index.js'
import { startServer } from '../../src/runtime/node/entry.js'
import { createKey, revokeKey } from '../../src/runtime/node/keys.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let keysFile: string
let alice: string
let bob: string
beforeAll(async () => {
  const dir = await tempDir('auth')
  keysFile = join(dir, '.api-keys')
  alice = (await createKey(keysFile, { name: 'alice' })).key
  bob = (await createKey(keysFile, { name: 'bob', policy: { models: ['haiku'] } })).key
  stack = await startTestStack({ keysFile })
})
afterAll(async () => {
  await stack?.close()
  await removeDir(join(keysFile, '..'))
})

const as = (key: string) => ({
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
})

describe('keys on the real server', () => {
  it('requires a key, and runs with one', async () => {
    expect((await stack.post('/llm/chat', { prompt: 'hi' })).status).toBe(401)
    const res = await stack.post('/llm/chat', { prompt: 'hi' }, as(alice))
    expect(res.status).toBe(200)
    expect((await res.json()).text).toBe('ECHO: hi')
  })

  it('enforces a key model policy before any process starts', async () => {
    const before = stack.mock.messageRequests().length
    const res = await stack.post('/llm/chat', { prompt: 'hi', model: 'opus' }, as(bob))
    expect(res.status).toBe(403)
    expect(stack.mock.messageRequests()).toHaveLength(before)
  })

  it("hides a session from other keys: another key's session id is a 404", async () => {
    const first = await (
      await stack.post('/llm/query', { prompt: 'secret plan', persist_session: true }, as(alice))
    ).json()
    const stolen = await stack.post(
      '/llm/query',
      { prompt: 'what was the plan?', session_id: first.session_id },
      as(bob)
    )
    expect(stolen.status).toBe(404)
    expect((await stolen.json()).type).toBe('session_not_found')
    const own = await stack.post(
      '/llm/query',
      { prompt: 'what was the plan?', session_id: first.session_id },
      as(alice)
    )
    expect(own.status).toBe(200)
  })

  it('takes new and revoked keys into account without a restart', async () => {
    const { key, record } = await createKey(keysFile, { name: 'carol' })
    await waitFor(async () => (await fetch(`${stack.url}/llm/status`, as(key))).status === 200, {
      timeoutMs: 5_000,
    })
    await revokeKey(keysFile, record.hash.slice(0, 16))
    await waitFor(async () => (await fetch(`${stack.url}/llm/status`, as(key))).status === 401, {
      timeoutMs: 5_000,
    })
  })
})

describe('secure by default', () => {
  it('refuses to start on a public address without keys', async () => {
    const dir = await tempDir('open')
    try {
      await expect(
        startServer({ host: '0.0.0.0', port: 0, logLevel: 'silent', keysFile: join(dir, 'none') })
      ).rejects.toThrow(ConfigError)
    } finally {
      await removeDir(dir)
    }
  })
})
