/**
 * Keys' own logins through a Node front door over two runner hosts (real CLI on each): the hosts
 * hold the logins by name and the front door passes only the name, so a token never crosses the
 * runner protocol. Host 1 has Alice's login, host 2 has not: her runs reach host 1's processes and
 * her mock only, whichever host is tried first; her login's used-up window is refused at the front
 * door; and once no host has it, she is refused with login_missing, never run elsewhere.
 */
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { type RunningServer, startRunnerHost, startServer } from '../../src/runtime/node/entry.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { createLoginStore, type LoginStore } from '../../src/runtime/node/logins/login-store.js'
import { everyDialect } from '../helpers/every-dialect.js'
import { filesUnder, processTexts } from '../helpers/files-under.js'
import { epoch, unifiedHeaders } from '../helpers/quota-headers.js'
import { startTokenRouter, type TokenRouter } from '../helpers/token-router.js'
import { weatherModel } from '../helpers/tool-mock.js'

const RUNNER_TOKEN = 'a-long-random-runner-token-for-logins'
const ALICE = 'sk-ant-oat01-fleet-alice-91c2d7e4a0'
let dir: string
let aliceStore: LoginStore
let router: TokenRouter
let alice: MockAnthropic
let server: MockAnthropic
let stray: MockAnthropic
const hosts: RunningServer[] = []
let front: RunningServer
const keys = { alice: '', server: '' }

beforeAll(async () => {
  dir = await tempDir('logins-fleet')
  alice = await startMockAnthropic({ token: ALICE })
  server = await startMockAnthropic({ token: 'test-token' })
  stray = await startMockAnthropic({ token: 'no-such-token' })
  router = await startTokenRouter({ [ALICE]: alice.url, 'test-token': server.url, '*': stray.url })
  for (const i of [0, 1]) {
    const home = join(dir, `host-${i}`)
    const loginsFile = join(home, 'logins')
    const store = createLoginStore({ file: loginsFile, secret: { file: `${loginsFile}.secret` } })
    if (i === 0) {
      await store.add('alice', ALICE)
      aliceStore = store
    }
    hosts.push(
      await startRunnerHost({
        port: 0,
        token: RUNNER_TOKEN,
        logLevel: 'silent',
        workDir: join(home, 'work'),
        loginsFile,
        runnerOptions: { env: cliEnv(home, router.url), killGraceMs: 1_000 },
      })
    )
  }
  const keysFile = join(dir, 'keys')
  keys.alice = (await createKey(keysFile, { name: 'alice', policy: { login: 'alice' } })).key
  keys.server = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
  front = await startServer({
    port: 0,
    logLevel: 'silent',
    keysFile,
    runnerUrls: hosts.map((h) => h.url),
    runnerToken: RUNNER_TOKEN,
    usageDb: join(dir, 'front-usage.db'),
  })
}, 60_000)
afterAll(async () => {
  await front?.close()
  for (const host of hosts) await host.close()
  await router?.close()
  await Promise.all([alice, server, stray].map((m) => m?.close()))
  await removeDir(dir)
})
beforeEach(() => {
  for (const mock of [alice, server, stray]) mock.reset()
})

const ask = (key: string, content: string) =>
  fetch(`${front.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'haiku', max_tokens: 50, messages: [{ role: 'user', content }] }),
  })

describe('logins through a front door', () => {
  it("run a key's runs on a host that holds its login (every dialect, streams, a tool follow-up), and a key without one on the hosts' own", async () => {
    alice.setHandler(weatherModel)
    const openai = new OpenAI({ apiKey: keys.alice, baseURL: `${front.url}/v1`, maxRetries: 0 })
    // Five runs: the front door takes hosts in turn, so host 2 (no such login) is tried too.
    await everyDialect(front.url, keys.alice)
    // A tool follow-up goes to the host that holds the waiting run, on the same login.
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
      },
    ]
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Paris?' }]
    const asked = await openai.chat.completions.create({ model: 'haiku', tools, messages })
    const call = asked.choices[0]?.message
    messages.push(call as OpenAI.ChatCompletionMessageParam, {
      role: 'tool',
      tool_call_id: call?.tool_calls?.[0]?.id ?? '',
      content: 'sunny',
    })
    const answer = await openai.chat.completions.create({ model: 'haiku', tools, messages })
    expect(answer.choices[0]?.message.content).toBe('Weather: sunny')
    const plain = await ask(keys.server, 'plain')
    expect(plain.status).toBe(200)
    expect(alice.messageRequests()).toHaveLength(7)
    expect(server.messageRequests()).toHaveLength(1)
    for (const mock of [alice, server, stray]) expect(mock.refused).toEqual([])
  }, 90_000)

  it("refuse a key whose login is used up at the front door, with that login's reset", async () => {
    alice.setHandler(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'limit reached',
      headers: unifiedHeaders('rejected', 1, epoch(1_800)),
    }))
    const first = await ask(keys.alice, 'over')
    expect(first.status).toBe(429)
    const again = await ask(keys.alice, 'still over')
    expect(again.status).toBe(429)
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(1_700)
    expect((await again.json()).error.details).toEqual({ error_code: 'login_quota' })
    // Refused here: no model call, on either host.
    expect(alice.messageRequests()).toHaveLength(1)
    expect((await ask(keys.server, 'others run')).status).toBe(200)
    const status = await (
      await fetch(`${front.url}/llm/status`, {
        headers: { authorization: `Bearer ${keys.server}` },
      })
    ).json()
    expect(status.logins).toMatchObject({ alice: { status: 'rejected' } })
  }, 60_000)

  it('refuse a key whose login no host holds (login_missing), and run it nowhere', async () => {
    expect(await aliceStore.remove('alice')).toBe(true)
    // A fresh front door: the one above still remembers the used-up window.
    const other = await startServer({
      port: 0,
      logLevel: 'silent',
      keysFile: join(dir, 'keys'),
      runnerUrls: hosts.map((h) => h.url),
      runnerToken: RUNNER_TOKEN,
      usageDb: join(dir, 'other-usage.db'),
    })
    try {
      const res = await fetch(`${other.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': keys.alice, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'haiku',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'gone' }],
        }),
      })
      expect(res.status).toBe(403)
      expect((await res.json()).error.details).toEqual({ error_code: 'login_missing' })
      expect(alice.messageRequests()).toHaveLength(0)
      expect(server.messageRequests()).toHaveLength(0)
      expect(stray.refused).toEqual([])
    } finally {
      await other.close()
    }
  }, 60_000)

  it('keeps the token out of everything but the host that holds it', async () => {
    const admin = { headers: { authorization: `Bearer ${keys.server}` } }
    const seen: Array<[string, string]> = [
      ['front status', await (await fetch(`${front.url}/admin/status`, admin)).text()],
      ['front metrics', await (await fetch(`${front.url}/metrics`, admin)).text()],
      ...(await processTexts()),
    ]
    const sealed = (path: string) => path.endsWith('/logins') || path.endsWith('/logins.secret')
    for (const [path, text] of await filesUnder(dir)) if (!sealed(path)) seen.push([path, text])
    expect(seen.length).toBeGreaterThan(10)
    for (const [where, text] of seen) expect(text.includes(ALICE), where).toBe(false)
  })
})
