import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir, waitFor } from '../../dev-tools/cli-env.js'
import { lastUserMessage, userText } from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { createFakeClock } from '../helpers/fake-clock.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

describe('one key cannot starve the others', () => {
  it('a key flooding the queue leaves room for another key, which is served next', async () => {
    const dir = await tempDir('fair')
    const keysFile = join(dir, 'keys')
    const a = await createKey(keysFile, { name: 'a', policy: { admin: true } })
    const b = await createKey(keysFile, { name: 'b' })
    const keyed = await startTestStack({ keysFile, maxConcurrency: 1, maxQueue: 2 })
    keyed.mock.setHandler((request) => {
      const text = userText(request.body.messages?.filter((m) => m.role === 'user').at(-1))
      return { kind: 'text', text: `ECHO: ${text}`, delayMs: text.startsWith('a') ? 1_500 : 0 }
    })
    const chat = async (key: string, prompt: string) => {
      const res = await keyed.post(
        '/llm/chat',
        { prompt },
        {
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        }
      )
      return { prompt, status: res.status, body: await res.json() }
    }
    try {
      const flood = ['a1', 'a2', 'a3', 'a4'].map((prompt) => chat(a.key, prompt))
      await waitFor(async () => {
        const status = await (
          await fetch(`${keyed.url}/llm/status`, { headers: { authorization: `Bearer ${a.key}` } })
        ).json()
        return status.capacity.running === 1 && status.capacity.queued === 2
      })
      const fromB = await chat(b.key, 'b1')
      expect(fromB).toMatchObject({ status: 200, body: { text: 'ECHO: b1' } })
      const results = await Promise.all(flood)
      expect(results.filter((r) => r.status === 200)).toHaveLength(2)
      expect(results.filter((r) => r.status === 429).map((r) => r.body.type)).toEqual([
        'queue_full',
        'queue_full',
      ])
      // b was served before a's second run: the slot went to the keys in turn.
      const order = keyed.mock.messageRequests().map((r) => userText(lastUserMessage(r.body)))
      expect(order.slice(0, 2)).toEqual(['a1', 'b1'])
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  }, 30_000)
})

describe('one key cannot hold every running slot', () => {
  it("another key's short run is answered while the first key's long runs hold their share", async () => {
    const dir = await tempDir('share')
    const keysFile = join(dir, 'keys')
    const a = await createKey(keysFile, { name: 'a', policy: { admin: true } })
    const b = await createKey(keysFile, { name: 'b' })
    const keyed = await startTestStack({ keysFile, maxConcurrency: 4 })
    keyed.mock.setHandler((request) => {
      const text = userText(lastUserMessage(request.body))
      return { kind: 'text', text: `ECHO: ${text}`, delayMs: text.startsWith('long') ? 20_000 : 0 }
    })
    const as = (key: string, signal?: AbortSignal) => ({
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      signal,
    })
    const flood = new AbortController()
    try {
      const long = Array.from({ length: 6 }, (_, i) =>
        keyed
          .post('/llm/chat', { prompt: `long ${i}` }, as(a.key, flood.signal))
          .catch(() => 'aborted')
      )
      await waitFor(async () => {
        const status = await (await fetch(`${keyed.url}/llm/status`, as(a.key))).json()
        return status.capacity.running === 3 && status.capacity.queued === 3
      })
      const short = keyed.post('/llm/chat', { prompt: 'short' }, as(b.key))
      // B is answered before any of A's long runs ends (each takes 20 s).
      const first = await Promise.race([
        short.then(() => 'short'),
        ...long.map((r) => r.then(() => 'long')),
      ])
      expect(first).toBe('short')
      expect((await (await short).json()).text).toBe('ECHO: short')
    } finally {
      flood.abort()
      await keyed.close()
      await removeDir(dir)
    }
  }, 60_000)
})

describe('every billed run is charged to its key', () => {
  let dir: string
  let keyed: TestStack
  let admin: string
  /** The server's time: moved past the keys file's check when a key is made, not waited for. */
  const clock = createFakeClock()
  beforeAll(async () => {
    dir = await tempDir('charge')
    admin = (await createKey(join(dir, 'keys'), { name: 'admin', policy: { admin: true } })).key
    keyed = await startTestStack({ keysFile: join(dir, 'keys'), clock })
  })
  afterAll(async () => {
    await keyed?.close()
    await removeDir(dir)
  })

  const withKey = (key: string) => ({
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  })
  const spentBy = async (hash: string) => {
    const usage = await (await fetch(`${keyed.url}/admin/usage`, withKey(admin))).json()
    return (usage.keys[hash.slice(0, 8)]?.today.usd as number | undefined) ?? 0
  }
  const budgetKey = (name: string) =>
    createKey(join(dir, 'keys'), { name, policy: { daily_usd: 0.000001 } })

  it('a run that ends in error_max_turns is charged what the CLI reports', async () => {
    const { key, record } = await createKey(join(dir, 'keys'), { name: 'turns' })
    clock.advance(1_000) // past the keys file's next check
    keyed.mock.setHandler(() => ({ kind: 'tool', name: 'Read', input: { file_path: '/x' } }))
    const res = await keyed.post('/llm/query', { prompt: 'loop', max_turns: 1 }, withKey(key))
    expect((await res.json()).type).toBe('max_turns_exceeded')
    expect(await spentBy(record.hash)).toBeGreaterThan(0)
  })

  it('a key whose budget cannot pay for a first model call is refused before one is made', async () => {
    // Runs before this one showed what a first call costs here; $0.000001 cannot pay for it.
    // (It was let in, billed 2,270x its budget, and its answer thrown away with a 422.)
    const { key, record } = await budgetKey('too-little')
    clock.advance(1_000)
    const reached = keyed.mock.messageRequests().length
    const res = await keyed.post('/llm/chat', { prompt: 'spend' }, withKey(key))
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(2)
    expect((await res.json()).detail).toMatch(/less than a run costs at the least/)
    expect(keyed.mock.messageRequests()).toHaveLength(reached)
    expect(await spentBy(record.hash)).toBe(0)
  })

  it('a stream the client abandons is charged from the usage the API reported', async () => {
    const { key, record } = await createKey(join(dir, 'keys'), {
      name: 'abandon',
      policy: { daily_usd: 100 },
    })
    clock.advance(1_000)
    keyed.mock.setHandler(() => ({
      kind: 'text',
      text: 'a long answer that the client will not wait for',
      chunks: 10,
      intervalMs: 300,
    }))
    const controller = new AbortController()
    const res = await keyed.post(
      '/llm/chat/stream',
      { prompt: 'go' },
      {
        ...withKey(key),
        signal: controller.signal,
      }
    )
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes('"chunk"')) text += new TextDecoder().decode((await reader.read()).value)
    controller.abort()
    const spent = await waitFor(async () => (await spentBy(record.hash)) || undefined)
    expect(spent).toBeGreaterThan(0)
  })
})

describe('a daily budget under a burst', () => {
  it('admits at most two of 12 runs at once when less is left than one run costs', async () => {
    const dir = await tempDir('burst')
    const keysFile = join(dir, 'keys')
    const { key } = await createKey(keysFile, { name: 'burst', policy: { daily_usd: 0.001 } })
    const admin = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
    const stack = await startTestStack({ keysFile })
    const as = (k: string) => ({
      headers: { 'content-type': 'application/json', authorization: `Bearer ${k}` },
    })
    try {
      stack.mock.setHandler(() => ({ kind: 'text', text: 'slow enough to overlap', delayMs: 500 }))
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => stack.post('/llm/chat', { prompt: `b${i}` }, as(key)))
      )
      const admitted = answers.filter((res) => res.status !== 429)
      expect(admitted.length).toBeGreaterThanOrEqual(1)
      expect(admitted.length).toBeLessThanOrEqual(2)
      expect(stack.mock.messageRequests().length).toBeLessThanOrEqual(2)
      const usage = await (await fetch(`${stack.url}/admin/usage`, as(admin))).json()
      const spent = Object.values(
        usage.keys as Record<string, { name: string; today: { runs: number } }>
      ).find((u) => u.name === 'burst')
      expect(spent?.today.runs).toBe(admitted.length)
    } finally {
      await stack.close()
      await removeDir(dir)
    }
  }, 60_000)
})
