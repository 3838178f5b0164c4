/**
 * Two front doors on one PostgreSQL (a throwaway cluster) over two runner hosts with the real
 * CLI: a key's budget and its places hold across both; a background response started through
 * one is polled, resumed and cancelled through the other; a front door killed mid-run frees its
 * place within the lease; with PostgreSQL stopped nothing is admitted, and service comes back
 * by itself.
 */
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cliEnv, removeDir, tempDir, waitFor } from '../../dev-tools/cli-env.js'
import { startCliProcess } from '../../dev-tools/cli-process.js'
import {
  defaultHandler,
  lastUserMessage,
  type MockHandler,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'
import { startPostgres, type TestPostgres } from '../../dev-tools/postgres.js'
import { hostTag } from '../../src/adapters/remote/tool-routing.js'
import { type RunningServer, startServer } from '../../src/runtime/node/entry.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { FLEET_TOKEN, type Fleet, startFleet } from '../helpers/fleet.js'
import { runCli } from '../helpers/run-cli.js'
import { weatherModel, weatherSchema } from '../helpers/tool-mock.js'

let pg: TestPostgres
let databaseUrl: string
let fleet: Fleet
let second: RunningServer
let fronts: string[]
const keys: Record<'budget' | 'single' | 'free', string> = { budget: '', single: '', free: '' }
let keysFile: string
let dir: string

/** HOLD in a prompt: the model never answers (the run goes on until it is stopped). */
const holding: MockHandler = (request) =>
  userText(lastUserMessage(request.body)).includes('HOLD')
    ? { kind: 'hang' }
    : defaultHandler(request)

beforeAll(async () => {
  pg = await startPostgres()
  databaseUrl = await pg.database('fronts')
  dir = await tempDir('pg-fronts-keys')
  keysFile = join(dir, 'api-keys')
  keys.budget = (await createKey(keysFile, { name: 'budget', policy: { daily_usd: 0.0001 } })).key
  keys.single = (await createKey(keysFile, { name: 'single', policy: { max_concurrent: 1 } })).key
  keys.free = (await createKey(keysFile, { name: 'free' })).key
  fleet = await startFleet('pg-fronts', (home, mockUrl) => cliEnv(home, mockUrl), {
    databaseUrl,
    keysFile,
  })
  second = await startServer(fleet.frontOptions)
  fronts = [fleet.front.url, second.url]
}, 60_000)
afterAll(async () => {
  await second?.close()
  await fleet?.close()
  await pg?.close()
  await removeDir(dir)
})
beforeEach(() => {
  for (const mock of fleet.mocks) {
    mock.reset()
    mock.setHandler(holding)
  }
})

const chat = (front: string, key: string, prompt: string, signal?: AbortSignal) =>
  fetch(`${front}/llm/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ prompt }),
    signal,
  })
/** Resolves once a model request with `text` reached either host's mock. */
const reached = (text: string) =>
  waitFor(() =>
    fleet.mocks.some((mock) =>
      mock.messageRequests().some((r) => userText(lastUserMessage(r.body)).includes(text))
    )
  )

describe('two front doors on one PostgreSQL', () => {
  it('admit one run of a burst of 12 split across them, on a budget that covers one', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => chat(fronts[i % 2] ?? '', keys.budget, `burst ${i}`))
    )
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1)
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(2)
    expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true)
    // Spent: refused through both from now on.
    for (const front of fronts) expect((await chat(front, keys.budget, 'more')).status).toBe(429)
  })

  it("hold a key's max_concurrent across both", async () => {
    const leaving = new AbortController()
    const held = chat(fronts[0] ?? '', keys.single, 'HOLD one', leaving.signal).catch(() => null)
    await reached('HOLD one')
    const refused = await chat(fronts[1] ?? '', keys.single, 'two')
    expect(refused.status).toBe(429)
    expect((await refused.json()).type).toBe('quota_exceeded')
    leaving.abort()
    await held
    await waitFor(async () => (await chat(fronts[1] ?? '', keys.single, 'three')).status === 200)
  })

  it('poll, resume and cancel through one a background response started through the other', async () => {
    const [one, two] = fronts.map(
      (front) => new OpenAI({ apiKey: keys.free, baseURL: `${front}/v1`, maxRetries: 0 })
    )
    if (!one || !two) throw new Error('two front doors')
    const started = await one.responses.create({ model: 'haiku', input: 'hello', background: true })
    const done = await waitFor(async () => {
      const now = await two.responses.retrieve(started.id)
      return now.status === 'completed' && now
    })
    expect(done.output_text).toBe('ECHO: hello')
    const replay = await two.responses.retrieve(started.id, { stream: true, starting_after: 0 })
    const numbers: number[] = []
    for await (const event of replay) numbers.push(event.sequence_number)
    expect(numbers[0]).toBe(1)
    expect(numbers.at(-1)).toBeGreaterThan(1)

    const hanging = await one.responses.create({
      model: 'haiku',
      input: 'HOLD bg',
      background: true,
    })
    await reached('HOLD bg')
    expect((await two.responses.cancel(hanging.id)).status).toBe('cancelled')
    await waitFor(async () => (await one.responses.retrieve(hanging.id)).status === 'cancelled')
  })

  it('with PostgreSQL stopped admit nothing (503 store_unavailable), and recover by themselves', async () => {
    await pg.stop()
    try {
      for (const front of fronts) {
        const refused = await chat(front, keys.single, 'while down')
        expect(refused.status).toBe(503)
        expect((await refused.json()).type).toBe('store_unavailable')
      }
    } finally {
      await pg.start()
    }
    for (const front of fronts) {
      await waitFor(async () => (await chat(front, keys.single, 'back')).status === 200, {
        timeoutMs: 15_000,
      })
    }
  })
})

describe('keys in the database (API_KEYS_STORE=database)', () => {
  it('reach every front door, and a revoke through one is refused by the other within a second', async () => {
    const doors = await Promise.all(
      [0, 1].map(() => startServer({ ...fleet.frontOptions, keysStore: 'database' }))
    )
    const [one, two] = doors.map((door) => door.url)
    try {
      const db = ['--store', 'database', '--database-url', databaseUrl]
      const created = await runCli(['keys', 'create', '--name', 'shared', ...db])
      expect(created.code).toBe(0)
      const key = /cca_[0-9a-f]{32}/.exec(created.stdout)?.[0] ?? ''
      const hash = /Hash: ([0-9a-f]{8})/.exec(created.stdout)?.[1] ?? ''
      await waitFor(async () => (await chat(one ?? '', key, 'hi')).status === 200)
      expect((await chat(two ?? '', key, 'hi')).status).toBe(200)
      // A key of the keys file is not one of these front doors'.
      expect((await chat(two ?? '', keys.free, 'hi')).status).toBe(401)

      const listed = await runCli(['keys', 'list', ...db])
      expect(listed.stdout).toContain('shared')
      expect((await runCli(['keys', 'revoke', hash, ...db])).code).toBe(0)
      const revokedAt = Date.now()
      await waitFor(async () => (await chat(two ?? '', key, 'hi')).status === 401, {
        timeoutMs: 1_000,
        intervalMs: 20,
      })
      expect(Date.now() - revokedAt).toBeLessThan(1_000)
      expect((await chat(one ?? '', key, 'hi')).status).toBe(401)
    } finally {
      await Promise.all(doors.map((door) => door.close()))
    }
  })
})

describe('a front door killed mid-run', () => {
  it('frees its place within the lease', async () => {
    const doomed = await startCliProcess(['serve', '--port', '0'], {
      API_KEYS_FILE: keysFile,
      DATABASE_URL: databaseUrl,
      DATABASE_LEASE_MS: '1500',
      RUNNER_URLS: fleet.hosts.map((h) => h.url).join(','),
      RUNNER_TOKEN: FLEET_TOKEN,
      USAGE_DB: join(dir, 'doomed-usage.db'),
    })
    try {
      void chat(doomed.url, keys.single, 'HOLD doomed').catch(() => null)
      await reached('HOLD doomed')
      expect((await chat(fronts[0] ?? '', keys.single, 'refused')).status).toBe(429)
      await doomed.kill('SIGKILL')
      // Its lease is 1.5 s: within a few of it, the place is free again.
      await waitFor(
        async () => (await chat(fronts[0] ?? '', keys.single, 'freed')).status === 200,
        {
          timeoutMs: 10_000,
          intervalMs: 250,
        }
      )
    } finally {
      await doomed.kill('SIGKILL')
    }
  })
})

describe('a tool call answered through the other front door', () => {
  it("continues the waiting run in the key's one place, which is free again after", async () => {
    for (const mock of fleet.mocks) mock.setHandler(weatherModel)
    const [one, two] = fronts.map(
      (front) => new OpenAI({ apiKey: keys.single, baseURL: `${front}/v1`, maxRetries: 0 })
    )
    if (!one || !two) throw new Error('two front doors')
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: weatherSchema } },
    ]
    const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Paris?' }
    const first = await one.chat.completions.create({ model: 'haiku', messages: [question], tools })
    const message = first.choices[0]?.message as OpenAI.ChatCompletionMessage
    const call = message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall
    // The waiting run holds the key's only place: a new run is refused, through either door.
    expect((await chat(fronts[1] ?? '', keys.single, 'meanwhile')).status).toBe(429)
    const answer = await two.chat.completions.create({
      model: 'haiku',
      messages: [question, message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
      tools,
    })
    expect(answer.choices[0]?.message.content).toBe('Weather: sunny')
    // The place was given back at the end of the follow-up, not held until the wait ran out.
    for (const front of fronts) expect((await chat(front, keys.single, 'after')).status).toBe(200)
  })
})

describe('an Anthropic message thread', () => {
  it('continues through the other front door, once', async () => {
    const [one, two] = fronts.map(
      (front) => new Anthropic({ apiKey: keys.free, baseURL: front, maxRetries: 0 })
    )
    if (!one || !two) throw new Error('two front doors')
    const create = (client: Anthropic, content: string, thread: Record<string, unknown>) =>
      client.beta.messages
        .create({
          model: 'haiku',
          max_tokens: 100,
          messages: [{ role: 'user', content }],
          thread,
        } as never)
        .catch((e: unknown) => e) as Promise<
        Anthropic.Beta.BetaMessage | InstanceType<typeof Anthropic.APIError>
      >
    const first = (await create(one, 'My name is Ada.', {
      type: 'create',
    })) as Anthropic.Beta.BetaMessage
    const next = { type: 'continue', previous_message_id: first.id }
    const second = (await create(two, 'What is my name?', next)) as Anthropic.Beta.BetaMessage
    expect(second.content).toEqual([expect.objectContaining({ text: 'ECHO: What is my name?' })])
    const seen = JSON.stringify(
      fleet.mocks
        .flatMap((m) => m.messageRequests())
        .sort((a, b) => a.at - b.at)
        .at(-1)?.body.messages
    )
    expect(seen).toContain('My name is Ada.')
    // Continued already, whichever front door is asked.
    const again = await create(one, 'Again?', next)
    expect((again as InstanceType<typeof Anthropic.APIError>).errorCode).toBe(
      'thread_already_continued'
    )
  })
})

describe('a kept session whose runner host is gone', () => {
  it('resumes with its history on the other host, through either front door', async () => {
    const query = async (front: string, body: Record<string, unknown>) => {
      const response = await fetch(`${front}/llm/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.free}` },
        body: JSON.stringify(body),
      })
      expect(response.status).toBe(200)
      return (await response.json()) as { text: string; session_id: string }
    }
    const first = await query(fronts[0] ?? '', {
      prompt: 'the word is PELICAN',
      persist_session: true,
    })
    const holder = fleet.hosts.findIndex((h) => first.session_id.endsWith(`~${hostTag(h.url)}`))
    expect(holder).toBeGreaterThanOrEqual(0)
    // Its host goes away for good (its disk with it, as far as the front doors know).
    await fleet.hosts[holder]?.close()
    const [gone] = fleet.hosts.splice(holder, 1)
    const survivor = fleet.mocks[1 - holder]
    survivor?.reset()

    const second = await query(fronts[1] ?? '', {
      prompt: 'which word?',
      session_id: first.session_id,
    })
    expect(second.text).toBe('ECHO: which word?')
    expect(second.session_id).not.toBe(first.session_id)
    const sent = JSON.stringify(survivor?.messageRequests().at(-1)?.body.messages)
    expect(sent).toContain('the word is PELICAN')
    expect(sent).toContain('ECHO: the word is PELICAN')

    // The next turn goes on from there, through the other front door.
    const third = await query(fronts[0] ?? '', {
      prompt: 'and now?',
      session_id: second.session_id,
    })
    expect(third.text).toBe('ECHO: and now?')
    expect(JSON.stringify(survivor?.messageRequests().at(-1)?.body.messages)).toContain(
      'which word?'
    )
    expect(gone?.url).toBeDefined()
  })
})
