/**
 * The mock's prompt cache behaves as the Messages API's does where tests depend on it: what is
 * read and written at each breakpoint, the 20-block look-back, the 1,024-token minimum, and
 * lifetimes refreshed on use.
 */
import { describe, expect, it } from 'vitest'
import { createPromptCache } from '../../dev-tools/mock-anthropic/prompt-cache.js'
import type { MessagesBody } from '../../dev-tools/mock-anthropic/replies.js'

const mark = { cache_control: { type: 'ephemeral' } }
/** A text block of about `tokens` tokens. */
const text = (tokens: number, extra = {}) => ({
  type: 'text',
  text: 'x'.repeat(tokens * 4),
  ...extra,
})
const system = [text(1_200, mark)]
const turn = (role: string, tokens: number, cached = false) => ({
  role,
  content: [text(tokens, cached ? mark : {})],
})

describe("the mock's prompt cache", () => {
  it('writes a long enough prefix, then reads it and writes what a request adds', () => {
    const cache = createPromptCache()
    const first: MessagesBody = { system, messages: [turn('user', 100, true)] }
    const one = cache.use(first, 2_000)
    expect(one.cache_read_input_tokens).toBe(0)
    expect(one.cache_creation_input_tokens).toBeGreaterThan(1_300)
    const second: MessagesBody = {
      system,
      messages: [turn('user', 100), turn('assistant', 50), turn('user', 60, true)],
    }
    const two = cache.use(second, 2_000)
    // What the first wrote is read; only the new turns are written.
    expect(two.cache_read_input_tokens).toBe(one.cache_creation_input_tokens)
    expect(two.cache_creation_input_tokens).toBeGreaterThan(100)
    expect(two.cache_creation_input_tokens).toBeLessThan(150)
  })

  it("skips the CLI's attribution block, which differs on every call", () => {
    const cache = createPromptCache()
    const billing = (n: string) => ({
      type: 'text',
      text: `x-anthropic-billing-header: cc_version=${n};`,
    })
    const body = (n: string) => ({
      system: [billing(n), ...system],
      messages: [turn('user', 9, true)],
    })
    cache.use(body('a1'), 2_000)
    expect(cache.use(body('b2'), 2_000).cache_read_input_tokens).toBeGreaterThan(1_200)
  })

  it('reads only up to where a request differs', () => {
    const cache = createPromptCache()
    cache.use({ system, messages: [turn('user', 100, true)] }, 2_000)
    // Same system prompt, another first message: the system prompt is read, not the message.
    const other = cache.use({ system, messages: [turn('user', 101, true)] }, 2_000)
    expect(other.cache_read_input_tokens).toBeGreaterThan(1_150)
    expect(other.cache_read_input_tokens).toBeLessThan(1_250)
  })

  it('caches nothing under 1,024 tokens, and looks back 20 blocks at most', () => {
    const cache = createPromptCache()
    const short = { messages: [turn('user', 900, true)] }
    cache.use(short, 1_000)
    expect(cache.use(short, 1_000).cache_read_input_tokens).toBe(0)
    const start = { system, messages: [turn('user', 10)] }
    cache.use({ ...start, messages: [turn('user', 10, true)] }, 2_000)
    const far = Array.from({ length: 22 }, (_, i) => turn(i % 2 ? 'user' : 'assistant', 5))
    far[21] = turn('user', 5, true)
    const reached = cache.use({ ...start, messages: [...start.messages, ...far] }, 2_000)
    // The first message's breakpoint is 22 blocks back: only the system prompt's is within reach.
    expect(reached.cache_read_input_tokens).toBeLessThan(1_250)
  })

  it('forgets an entry after 5 minutes unless it was read, which refreshes it', () => {
    let now = 0
    const cache = createPromptCache(() => now)
    const body = { system, messages: [turn('user', 100, true)] }
    cache.use(body, 2_000)
    now = 4 * 60_000
    expect(cache.use(body, 2_000).cache_read_input_tokens).toBeGreaterThan(0)
    now = 8 * 60_000
    expect(cache.use(body, 2_000).cache_read_input_tokens).toBeGreaterThan(0)
    now = 14 * 60_000
    expect(cache.use(body, 2_000).cache_read_input_tokens).toBe(0)
  })
})
