/**
 * A key holder sets their own login (`POST /llm/login`, real CLI): from then on the key's runs
 * carry that token (a mock that accepts only it), and after `DELETE /llm/login` the server's
 * again. The token is never shown back, nor logged; a server that does not allow it says so.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { createKey, readKeyRecords } from '../../src/runtime/node/keys.js'
import { captureLogger } from '../helpers/capture-logger.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { startTokenRouter, type TokenRouter } from '../helpers/token-router.js'

const TOKEN = 'sk-ant-oat01-self-service-8e4b1f07c2'
const log = captureLogger()
let dir: string
let keysFile: string
let own: MockAnthropic
let router: TokenRouter
let stack: TestStack
let key: string

beforeAll(async () => {
  dir = await tempDir('logins-self')
  keysFile = join(dir, 'keys')
  key = (await createKey(keysFile, { name: 'maya' })).key
  own = await startMockAnthropic({ token: TOKEN })
  const routes: Record<string, string> = { [TOKEN]: own.url }
  router = await startTokenRouter(routes)
  stack = await startTestStack({
    keysFile,
    loginsFile: join(dir, 'logins'),
    selfServiceLogins: true,
    logger: log.logger,
    cliEnv: { ANTHROPIC_BASE_URL: router.url },
  })
  routes['test-token'] = stack.mock.url
  routes['*'] = stack.mock.url
}, 60_000)
afterAll(async () => {
  await stack?.close()
  await router?.close()
  await own?.close()
  await removeDir(dir)
})
beforeEach(() => {
  own.reset()
  stack.mock.reset()
})

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
const chat = () => call('POST', '/llm/chat', { prompt: 'whose login?' })

describe('a key holder', () => {
  it('sets their own login, runs on it, and goes back to the server’s', async () => {
    expect((await chat()).status).toBe(200)
    expect(stack.mock.messageRequests()).toHaveLength(1)

    const set = await call('POST', '/llm/login', { token: TOKEN })
    expect(set.status).toBe(200)
    const text = await set.text()
    expect(text).not.toContain(TOKEN)
    const { login } = JSON.parse(text)
    expect(login).toMatch(/^key-[0-9a-f]{12}$/)
    expect((await readKeyRecords(keysFile)).records[0]?.policy).toEqual({ login })

    expect((await chat()).status).toBe(200)
    expect(own.messageRequests()).toHaveLength(1)
    expect(own.refused).toEqual([])
    expect(stack.mock.messageRequests()).toHaveLength(1)

    const cleared = await call('DELETE', '/llm/login')
    expect(await cleared.json()).toEqual({ login: null })
    expect((await chat()).status).toBe(200)
    expect(own.messageRequests()).toHaveLength(1)
    expect(stack.mock.messageRequests()).toHaveLength(2)

    expect(JSON.stringify(log.lines)).not.toContain(TOKEN)
    expect(await readFile(join(dir, 'logins'), 'utf8')).not.toContain(TOKEN)
  }, 60_000)

  it('is told when a token is not one, without it being echoed', async () => {
    const bad = await call('POST', '/llm/login', { token: 'two words-secret' })
    expect(bad.status).toBe(422)
    expect(await bad.text()).not.toContain('words-secret')
  })
})

describe('a server that does not allow it', () => {
  it('refuses with 403 and says how an operator allows it', async () => {
    const plain = await startTestStack({ keysFile })
    try {
      const res = await fetch(`${plain.url}/llm/login`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token: TOKEN }),
      })
      expect(res.status).toBe(403)
      expect((await res.json()).detail).toMatch(/CLAUDE_SELF_SERVICE_LOGINS/)
    } finally {
      await plain.close()
    }
  })
})
