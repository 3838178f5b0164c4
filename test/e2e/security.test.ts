/**
 * Attacks on the server, each reproduced through the real CLI and the project's mock where the
 * CLI is involved; every test here failed on the code before its fix. Input, keys and smaller
 * findings here; limits, leftovers and tools in the other security-*.test.ts files.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createNodeRunner } from '../../src/adapters/node/runner.js'
import { KeysFileError } from '../../src/errors/index.js'
import { startServer } from '../../src/runtime/node/entry.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { createFakeClock } from '../helpers/fake-clock.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(() => stack?.close())

/** The slowest /health answer while `work` runs: the event loop's worst stall. */
const healthDuring = async (work: Promise<unknown>) => {
  let done = false
  let worst = 0
  const polling = (async () => {
    while (!done) {
      const started = performance.now()
      await (await fetch(`${stack.url}/health`)).arrayBuffer()
      worst = Math.max(worst, performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  const settled = await work.finally(() => {
    done = true
  })
  await polling
  return { worst, settled }
}

describe('input that would block the event loop', () => {
  // A generous ceiling on /health while the input is handled: before the fix these froze the
  // server for many seconds. How fast the work itself is, the bench measures.
  it("an answer of 40,000 '[' on /llm/json is a 422, and /health stays responsive", async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: '['.repeat(40_000) }))
    const { worst, settled } = await healthDuring(stack.post('/llm/json', { prompt: 'json' }))
    const res = settled as Response
    expect(res.status).toBe(422)
    expect((await res.json()).type).toBe('no_json')
    expect(worst).toBeLessThan(2_500)
  })

  it("a body of 10 MiB of '[' is a 400, and /health stays responsive", async () => {
    const before = stack.mock.messageRequests().length
    const { worst, settled } = await healthDuring(stack.post('/llm/chat', '['.repeat(10 * 2 ** 20)))
    const res = settled as Response
    expect(res.status).toBe(400)
    expect((await res.json()).detail).toMatch(/nested deeper than 128 levels/)
    expect(worst).toBeLessThan(2_500)
    expect(stack.mock.messageRequests()).toHaveLength(before)
  })
})

describe('auth when the keys file goes away', () => {
  /** The server's time, moved past the keys file's once-a-second check instead of waited for. */
  const clock = createFakeClock()
  const nextCheck = () => clock.advance(1_000)

  it('refuses every request that needs a key until a valid file is back', async () => {
    const dir = await tempDir('keys')
    const keysFile = join(dir, 'keys')
    const { key } = await createKey(keysFile, { name: 'only', policy: { admin: true } })
    const keyed = await startTestStack({ keysFile, clock })
    const get = (path: string, withKey: boolean) =>
      fetch(`${keyed.url}${path}`, withKey ? { headers: { authorization: `Bearer ${key}` } } : {})
    try {
      expect((await get('/admin/usage', true)).status).toBe(200)
      expect((await get('/admin/usage', false)).status).toBe(401)
      const saved = await readFile(keysFile, 'utf8')

      await rm(keysFile)
      nextCheck()
      for (const withKey of [false, true]) {
        const res = await get('/admin/usage', withKey)
        expect(res.status).toBe(503)
        expect((await res.json()).type).toBe('keys_unavailable')
      }
      const chat = await keyed.post('/llm/chat', { prompt: 'no key' })
      expect(chat.status).toBe(503)
      expect(keyed.mock.messageRequests()).toHaveLength(0)
      expect((await fetch(`${keyed.url}/health`)).status).toBe(200)

      // Something unreadable in its place (a directory) is refused the same way.
      await mkdir(keysFile)
      nextCheck()
      expect((await get('/admin/usage', true)).status).toBe(503)

      await rm(keysFile, { recursive: true })
      await writeFile(keysFile, saved, { mode: 0o600 })
      nextCheck()
      expect((await get('/admin/usage', true)).status).toBe(200)
      expect((await get('/admin/usage', false)).status).toBe(401)
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  }, 30_000)

  it('does not start when the keys file cannot be read', async () => {
    const dir = await tempDir('keys')
    await mkdir(join(dir, 'keys'))
    try {
      await expect(
        startServer({ port: 0, keysFile: join(dir, 'keys'), logLevel: 'silent' })
      ).rejects.toThrow(KeysFileError)
    } finally {
      await removeDir(dir)
    }
  })
})

describe('smaller findings', () => {
  it('a models probe that fails before starting the CLI gives its slot back', async () => {
    const dir = await tempDir('probe')
    const notADir = join(dir, 'file')
    await writeFile(notADir, '')
    const runner = createNodeRunner({
      workDir: notADir,
      maxConcurrency: 1,
      env: cliEnv(dir, stack.mock.url),
    })
    try {
      for (let i = 0; i < 3; i++) await expect(runner.models()).rejects.toThrow()
      expect((await runner.status()).capacity).toMatchObject({ running: 0, queued: 0 })
    } finally {
      await runner.close()
      await removeDir(dir)
    }
  })

  it.each([
    ['/llm/chat', { prompt: '   ' }, 422],
    ['/llm/chat/stream', { prompt: '' }, 422],
    ['/llm/json', { prompt: '\n' }, 422],
    ['/llm/query', { prompt: ' ', images: null }, 422],
    ['/v1/chat/completions', { model: 'haiku', messages: [{ role: 'user', content: ' ' }] }, 400],
    [
      '/v1/chat/completions',
      { model: 'haiku', messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] },
      400,
    ],
    [
      '/v1/messages',
      { model: 'haiku', max_tokens: 5, messages: [{ role: 'user', content: '  ' }] },
      400,
    ],
  ])('a blank prompt on %s is refused before the CLI starts', async (path, body, status) => {
    const before = stack.mock.messageRequests().length
    const res = await stack.post(path, body)
    expect(res.status).toBe(status)
    expect(JSON.stringify(await res.json())).toMatch(/prompt: is empty/)
    expect(stack.mock.messageRequests()).toHaveLength(before)
  })

  it.each([
    ['/llm/json', { prompt: 'json', schema: { type: 5 } }, 422, /schema: not a usable JSON Schema/],
    [
      '/v1/chat/completions',
      {
        model: 'haiku',
        messages: [{ role: 'user', content: 'json' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: { $ref: '#/$defs/missing' } },
        },
      },
      400,
      /response_format\.json_schema\.schema: not a usable JSON Schema/,
    ],
  ])(
    'an unusable JSON Schema on %s is refused before the CLI starts',
    async (path, body, status, message) => {
      const before = stack.mock.messageRequests().length
      const res = await stack.post(path, body)
      expect(res.status).toBe(status)
      expect(JSON.stringify(await res.json())).toMatch(message)
      expect(stack.mock.messageRequests()).toHaveLength(before)
    }
  )

  it('/llm/status shows the binary path, login method and hosts to admin keys only', async () => {
    const dir = await tempDir('status')
    const keysFile = join(dir, 'keys')
    const admin = await createKey(keysFile, { name: 'admin', policy: { admin: true } })
    const user = await createKey(keysFile, { name: 'user' })
    const keyed = await startTestStack({ keysFile })
    const status = async (key: string) =>
      (
        await fetch(`${keyed.url}/llm/status`, { headers: { authorization: `Bearer ${key}` } })
      ).json()
    try {
      expect(await status(user.key)).toMatchObject({ binary_path: null, auth_method: null })
      expect(await status(admin.key)).toMatchObject({
        binary_path: expect.stringContaining('claude'),
        available: true,
      })
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  })
})
