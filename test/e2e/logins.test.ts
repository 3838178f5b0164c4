/**
 * Every key its own Claude login (real CLI, real server): a mock per login that accepts only its
 * own token (any other is a 401 there, which fails the test), behind one API address that sends
 * each request to the mock of the token it carries. Key A's runs reach only mock A, key B's only
 * mock B, a key without a login only the server's; one login's used-up window refuses only its
 * keys; a removed login refuses its keys with nowhere else to run; and no token text shows
 * anywhere but the sealed store.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { createLoginStore, type LoginStore } from '../../src/runtime/node/logins/login-store.js'
import { launchChromium } from '../helpers/browser.js'
import { captureLogger } from '../helpers/capture-logger.js'
import { everyDialect } from '../helpers/every-dialect.js'
import { filesUnder, processTexts } from '../helpers/files-under.js'
import { epoch, unifiedHeaders } from '../helpers/quota-headers.js'
import { runCli } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { startTokenRouter, type TokenRouter } from '../helpers/token-router.js'
import { weatherModel } from '../helpers/tool-mock.js'

const TOKENS = {
  alice: 'sk-ant-oat01-alice-7f3c9e21b4d8a6',
  bob: 'sk-ant-oat01-bob-52ad0e6c1f97e3',
  carol: 'sk-ant-oat01-carol-0be1d4a9c73f58',
}
/** A login whose token the API no longer takes (no mock accepts it). */
const REVOKED = 'sk-ant-oat01-eve-revoked-6d02b8f1a4'
const log = captureLogger()
let dir: string
let store: LoginStore
let router: TokenRouter
let stack: TestStack
const mocks = {} as Record<keyof typeof TOKENS, MockAnthropic>
let stray: MockAnthropic
const keys = {} as Record<'alice' | 'bob' | 'carol' | 'eve' | 'server', string>
const errorBodies: string[] = []

beforeAll(async () => {
  dir = await tempDir('logins')
  const loginsFile = join(dir, 'logins')
  store = createLoginStore({ file: loginsFile, secret: { file: `${loginsFile}.secret` } })
  const routes: Record<string, string> = {}
  for (const name of ['alice', 'bob', 'carol'] as const) {
    await store.add(name, TOKENS[name])
    mocks[name] = await startMockAnthropic({ token: TOKENS[name] })
    routes[TOKENS[name]] = mocks[name].url
  }
  // Any other credential lands here, and is refused (and counted).
  stray = await startMockAnthropic({ token: 'no-such-token' })
  routes['*'] = stray.url
  router = await startTokenRouter(routes)
  const keysFile = join(dir, 'keys')
  for (const name of ['alice', 'bob', 'carol'] as const) {
    keys[name] = (await createKey(keysFile, { name, policy: { login: name } })).key
  }
  await store.add('eve', REVOKED)
  keys.eve = (await createKey(keysFile, { name: 'eve', policy: { login: 'eve' } })).key
  keys.server = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
  stack = await startTestStack({
    keysFile,
    loginsFile,
    warmProcesses: 2,
    heldConversations: 4,
    logger: log.logger,
    cliEnv: { ANTHROPIC_BASE_URL: router.url },
  })
  // The server's own login (the test CLI environment's token) goes to the stack's own mock.
  routes['test-token'] = stack.mock.url
}, 60_000)
afterAll(async () => {
  await stack?.close()
  await router?.close()
  await Promise.all([...Object.values(mocks), stray].map((m) => m?.close()))
  await removeDir(dir)
})
beforeEach(() => {
  for (const mock of [...Object.values(mocks), stray, stack.mock]) mock.reset()
})

const sdk = (key: string) => ({
  anthropic: new Anthropic({ apiKey: key, baseURL: stack.url, maxRetries: 0 }),
  openai: new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 0 }),
})

const reached = () => ({
  alice: mocks.alice.messageRequests().length,
  bob: mocks.bob.messageRequests().length,
  carol: mocks.carol.messageRequests().length,
  server: stack.mock.messageRequests().length,
})
const expectNoStrays = () => {
  for (const mock of [...Object.values(mocks), stray, stack.mock]) expect(mock.refused).toEqual([])
}

describe('keys bound to logins', () => {
  it("run only on their own login, in every dialect, and a key without one on the server's", async () => {
    await everyDialect(stack.url, keys.alice)
    expect(reached()).toEqual({ alice: 5, bob: 0, carol: 0, server: 0 })
    await everyDialect(stack.url, keys.bob)
    expect(reached()).toEqual({ alice: 5, bob: 5, carol: 0, server: 0 })
    await everyDialect(stack.url, keys.server)
    expect(reached()).toEqual({ alice: 5, bob: 5, carol: 0, server: 5 })
    expectNoStrays()
  }, 120_000)

  it('keep to their login in processes started ahead, reused and holding conversations, and in tool follow-ups', async () => {
    for (const name of ['alice', 'bob'] as const) mocks[name].setHandler(weatherModel)
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
      },
    ]
    for (const name of ['alice', 'bob', 'alice', 'bob'] as const) {
      const { openai } = sdk(keys[name])
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Paris?' }]
      const asked = await openai.chat.completions.create({ model: 'haiku', tools, messages })
      const call = asked.choices[0]?.message
      const id = call?.tool_calls?.[0]?.id ?? ''
      messages.push(call as OpenAI.ChatCompletionMessageParam, {
        role: 'tool',
        tool_call_id: id,
        content: 'sunny',
      })
      const answer = await openai.chat.completions.create({ model: 'haiku', tools, messages })
      expect(answer.choices[0]?.message.content).toBe('Weather: sunny')
    }
    expect(reached()).toEqual({ alice: 4, bob: 4, carol: 0, server: 0 })
    const status = await (
      await fetch(`${stack.url}/llm/status`, {
        headers: { authorization: `Bearer ${keys.server}` },
      })
    ).json()
    // The second round ran on processes the first left (reset for the key, or started ahead).
    expect(status.processes.reused + status.processes.used).toBeGreaterThan(0)
    expectNoStrays()
  }, 120_000)

  it("are refused with their own login's reset when it is used up, while other logins run", async () => {
    const headers = unifiedHeaders('rejected', 1, epoch(1_800))
    mocks.alice.setHandler(() => ({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'limit reached',
      headers,
    }))
    const ask = () =>
      stack.post(
        '/v1/messages',
        { model: 'haiku', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-api-key': keys.alice, 'content-type': 'application/json' } }
      )
    const first = await ask()
    expect(first.status).toBe(429)
    errorBodies.push(await first.text())
    const again = await ask()
    expect(again.status).toBe(429)
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(1_700)
    const body = await again.text()
    errorBodies.push(body)
    expect(JSON.parse(body).error).toMatchObject({
      type: 'rate_limit_error',
      message: expect.stringMatching(/login \(alice\) is used up; it resets at/),
      details: { error_code: 'login_quota' },
    })
    // The second refusal was made here, without a model call.
    expect(mocks.alice.messageRequests()).toHaveLength(1)
    // Bob's login is another subscription: his key still runs.
    const { data: bob, response } = await sdk(keys.bob)
      .anthropic.messages.create({
        model: 'haiku',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'still here' }],
      })
      .withResponse()
    expect(bob.content).toEqual([{ type: 'text', text: 'ECHO: still here' }])
    // The quota headers on an answer are those of the key's own login.
    expect(again.headers.get('anthropic-ratelimit-unified-status')).toBe('rejected')
    expect(response.headers.get('anthropic-ratelimit-unified-status')).not.toBe('rejected')
    // Each key is told its own login's quota; an admin sees every login's by name.
    const statusOf = async (key: string) =>
      (
        await fetch(`${stack.url}/llm/status`, { headers: { authorization: `Bearer ${key}` } })
      ).json()
    expect((await statusOf(keys.alice)).quota).toMatchObject({ status: 'rejected' })
    expect((await statusOf(keys.bob)).logins).toBeUndefined()
    expect((await statusOf(keys.server)).logins).toMatchObject({ alice: { status: 'rejected' } })
    const admin = await fetch(`${stack.url}/admin/status`, {
      headers: { authorization: `Bearer ${keys.server}` },
    })
    expect((await admin.json()).status.logins).toMatchObject({ alice: { status: 'rejected' } })
    // `logins list` shows it too, as the server last saw it (never a token).
    await expect
      .poll(async () => (await store.list()).find((l) => l.name === 'alice')?.quota?.status)
      .toBe('rejected')
    const listed = await runCli(['logins', 'list'], { env: { CLAUDE_LOGINS_FILE: store.file } })
    // Name, added, last used (by the runs above), and the quota as last seen.
    expect(listed.stdout).toMatch(/alice\s+\S+\s+\d{4}-\d\d-\d\dT\S+\s+rejected · five_hour 100%/)
    // So does the dashboard, by login name.
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      await page.goto(`${stack.url}/admin`)
      await page.getByLabel('Admin key').fill(keys.server)
      await page.getByLabel('Admin key').dispatchEvent('change')
      const alice = page.locator('#logins [data-login="alice"]')
      await expect.poll(() => alice.textContent(), { timeout: 15_000 }).toMatch(/Login alice/)
      expect(await alice.textContent()).toMatch(/Status: rejected.*5-hour window: 100% used/)
    } finally {
      await browser.close()
    }
    expectNoStrays()
  }, 90_000)

  it('are refused (login_missing) once their login is removed, and run nowhere else', async () => {
    const { anthropic } = sdk(keys.carol)
    await anthropic.messages.create({
      model: 'haiku',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'before' }],
    })
    expect(await store.remove('carol')).toBe(true)
    for (const path of ['/v1/messages', '/v1/chat/completions']) {
      const res = await stack.post(
        path,
        { model: 'haiku', max_tokens: 50, messages: [{ role: 'user', content: 'after' }] },
        { headers: { authorization: `Bearer ${keys.carol}`, 'content-type': 'application/json' } }
      )
      expect(res.status).toBe(403)
      const body = await res.text()
      errorBodies.push(body)
      expect(body).toContain('login_missing')
    }
    expect(reached()).toEqual({ alice: 0, bob: 0, carol: 1, server: 0 })
    expectNoStrays()
  }, 60_000)
})

describe('a key whose login the API refuses', () => {
  it('is refused with login_expired, and never run on another login', async () => {
    const res = await stack.post(
      '/v1/chat/completions',
      { model: 'haiku', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { authorization: `Bearer ${keys.eve}`, 'content-type': 'application/json' } }
    )
    expect(res.status).toBe(403)
    const body = await res.text()
    errorBodies.push(body)
    expect(JSON.parse(body).error).toMatchObject({ code: 'login_expired' })
    // The API was asked with Eve's token alone, and refused it.
    expect(stray.refused.length).toBeGreaterThan(0)
    expect(reached()).toEqual({ alice: 0, bob: 0, carol: 0, server: 0 })
  }, 60_000)
})

describe('a login token', () => {
  it('shows nowhere: command lines, logs, status, metrics, errors, files other than the sealed store', async () => {
    const seen: Array<[string, string]> = [
      ['log', JSON.stringify(log.lines)],
      ['errors', errorBodies.join('\n')],
      [
        'status',
        await (
          await fetch(`${stack.url}/llm/status`, {
            headers: { authorization: `Bearer ${keys.server}` },
          })
        ).text(),
      ],
      ['metrics', await (await fetch(`${stack.url}/metrics`)).text()],
    ]
    seen.push(...(await processTexts()))
    const sealed = [join(dir, 'logins'), join(dir, 'logins.secret')]
    for (const root of [dir, stack.home]) {
      for (const [path, text] of await filesUnder(root))
        if (!sealed.includes(path)) seen.push([path, text])
    }
    expect(seen.length).toBeGreaterThan(10)
    for (const [where, text] of seen) {
      for (const token of [...Object.values(TOKENS), REVOKED]) {
        expect(text.includes(token), where).toBe(false)
      }
    }
    // The sealed store holds no token as text either.
    const file = await readFile(join(dir, 'logins'), 'utf8')
    for (const token of [...Object.values(TOKENS), REVOKED])
      expect(file.includes(token)).toBe(false)
  })
})
