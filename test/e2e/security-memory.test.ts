/**
 * What a key could make the server hold for free, tried as the attacker did (real server, real
 * CLI, the mock model): background responses with 12 MB of metadata each (accepted, failed at
 * once, kept an hour: 544 MiB before), and stored responses carrying a 12 MB reasoning item the
 * model never sees (kept 7 days: 326 MiB before). What the server holds is measured as its heap
 * and buffers after a full collection (RSS itself does not shrink back), from after the first two
 * requests on: the first ones leave a fixed amount in the HTTP client's and server's buffers.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** What this process holds: heap and buffers, after a full collection. */
const held = () => {
  gc()
  const { heapUsed, external } = process.memoryUsage()
  return heapUsed + external
}

const MB = 1024 * 1024
let stack: TestStack
let openai: OpenAI

beforeAll(async () => {
  stack = await startTestStack()
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 })
})
afterAll(async () => {
  await stack?.close()
})

describe('what a key can make the server hold', () => {
  it('refuses 12 MB of metadata with a 400, and holds nothing of 20 such requests', async () => {
    const metadata = { blob: 'x'.repeat(12 * 1000 * 1000) }
    let before = 0
    for (let i = 0; i < 20; i++) {
      if (i === 2) before = held()
      const res = await stack.post('/v1/responses', {
        model: 'haiku',
        input: ' ',
        background: true,
        metadata,
      })
      expect(res.status).toBe(400)
      expect((await res.json()).error.message).toMatch(/metadata: values are at most 512/)
    }
    // 18 × 12 MB more were sent; the server kept several copies of each before (over 500 MB).
    expect(held() - before).toBeLessThan(64 * MB)
  }, 120_000)

  it('bounds metadata as OpenAI does: 16 pairs, keys of 64 and values of 512 characters', async () => {
    const pairs = (n: number) => Object.fromEntries([...Array(n)].map((_, i) => [`k${i}`, 'v']))
    const ok = await openai.responses.create({ model: 'haiku', input: 'hi', metadata: pairs(16) })
    expect(ok.metadata).toEqual(pairs(16))
    for (const [metadata, message] of [
      [pairs(17), /at most 16 pairs/],
      [{ ['k'.repeat(65)]: 'v' }, /keys are at most 64/],
      [{ k: 'v'.repeat(513) }, /values are at most 512/],
      [{ k: 1 }, /values are strings/],
    ] as const) {
      const res = await stack.post('/v1/responses', { model: 'haiku', input: 'hi', metadata })
      expect(res.status, JSON.stringify(metadata).slice(0, 40)).toBe(400)
      expect((await res.json()).error.message).toMatch(message)
    }
    // Chat Completions takes the same metadata.
    const chat = await stack.post('/v1/chat/completions', {
      model: 'haiku',
      messages: [{ role: 'user', content: 'hi' }],
      metadata: pairs(17),
    })
    expect(chat.status).toBe(400)
  }, 60_000)

  it('keeps no input item the model never saw: 15 × 12 MB reasoning items add nothing', async () => {
    const reasoning = {
      type: 'reasoning',
      id: 'rs_1',
      summary: [{ type: 'summary_text', text: 'y'.repeat(12 * 1000 * 1000) }],
    }
    let before = 0
    let last = ''
    for (let i = 0; i < 15; i++) {
      if (i === 2) before = held()
      const res = await stack.post('/v1/responses', {
        model: 'haiku',
        input: [reasoning, { role: 'user', content: `turn ${i}` }],
      })
      expect(res.status).toBe(200)
      last = (await res.json()).id
    }
    // 13 × 12 MB more were sent; the server kept them all before (over 150 MB).
    expect(held() - before).toBeLessThan(64 * MB)
    // What is kept is what the model got: the user's message, and it is fetched back.
    const items = await openai.responses.inputItems.list(last)
    expect(items.data).toHaveLength(1)
    expect(items.data[0]).toMatchObject({ role: 'user', content: 'turn 14' })
  }, 120_000)
})
