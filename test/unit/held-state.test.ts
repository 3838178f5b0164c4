/**
 * What requests leave the server holding is bounded per key: a key that floods a store drops its
 * own oldest entries, never another key's (stored responses, finished background runs, thread
 * replies), and all of it shares one memory budget.
 */
import { describe, expect, it } from 'vitest'
import { createMemoryThreadReplies } from '../../src/compat/anthropic/thread-replies.js'
import { createThreadStore } from '../../src/compat/anthropic/threads.js'
import { createMemoryBackgroundLog } from '../../src/compat/responses/background-log.js'
import { createResponseStore, type StoredResponse } from '../../src/compat/responses/store.js'
import type { RunEvent } from '../../src/contract/runner.js'
import { createHeldBudget } from '../../src/lib/held-budget.js'

const record = (owner: string, size = 10): StoredResponse => ({
  owner,
  body: { text: 'x'.repeat(size) },
  input: [],
  turns: [],
  calls: [],
  at: Date.now(),
})

const has = async (store: ReturnType<typeof createResponseStore>, id: string, owner: string) =>
  store.get(id, owner).then(
    () => true,
    () => false
  )

describe('the held budget', () => {
  it('drops the oldest entries of the key holding the most, never a lighter key’s', () => {
    const budget = createHeldBudget(100)
    const dropped: string[] = []
    budget.hold('b1', 'B', 20, () => dropped.push('b1'))
    for (let i = 0; i < 5; i++) budget.hold(`a${i}`, 'A', 20, () => dropped.push(`a${i}`))
    expect(dropped).toEqual(['a0'])
    budget.hold('a5', 'A', 40, () => dropped.push('a5'))
    expect(dropped).toEqual(['a0', 'a1', 'a2'])
    expect(budget.bytes('B')).toBe(20)
    expect(budget.bytes()).toBeLessThanOrEqual(100)
  })
})

describe('stored responses', () => {
  it('a key past its count drops its own oldest; another key’s stay', async () => {
    const store = createResponseStore({ maxPerOwner: 3, max: 100 })
    await store.put('b', record('B'))
    for (let i = 0; i < 10; i++) await store.put(`a${i}`, record('A'))
    expect(await has(store, 'b', 'B')).toBe(true)
    expect(await has(store, 'a6', 'A')).toBe(false)
    expect(await has(store, 'a7', 'A')).toBe(true)
    expect(await has(store, 'a9', 'A')).toBe(true)
  })

  it('past the total, the key with the most loses one, not the oldest record of all', async () => {
    const store = createResponseStore({ maxPerOwner: 100, max: 5 })
    await store.put('b', record('B'))
    for (let i = 0; i < 10; i++) await store.put(`a${i}`, record('A'))
    expect(await has(store, 'b', 'B')).toBe(true)
    expect(await has(store, 'a9', 'A')).toBe(true)
    expect(await has(store, 'a4', 'A')).toBe(false)
  })

  it('past the memory budget, the heaviest key gives way; a record over its cap is not kept', async () => {
    const held = createHeldBudget(5_000)
    const store = createResponseStore({ held, maxRecordBytes: 2_000 })
    await store.put('b', record('B', 1_000))
    for (let i = 0; i < 10; i++) await store.put(`a${i}`, record('A', 1_000))
    expect(await has(store, 'b', 'B')).toBe(true)
    expect(await has(store, 'a9', 'A')).toBe(true)
    expect(await has(store, 'a0', 'A')).toBe(false)
    expect(held.bytes()).toBeLessThanOrEqual(5_000)
    await store.put('big', record('B', 3_000))
    expect(await has(store, 'big', 'B')).toBe(false)
  })
})

describe('finished background runs', () => {
  const finish = async (
    log: ReturnType<typeof createMemoryBackgroundLog>,
    id: string,
    owner: string
  ) => {
    await log.open(id, owner, [], { id })
    await log.append(id, [], { id, status: 'failed' }, true)
  }

  it('are kept per key: a key that fails runs at once drops its own oldest, not others’', async () => {
    const log = createMemoryBackgroundLog({ maxFinishedPerOwner: 3, maxFinished: 100 })
    await finish(log, 'b', 'B')
    for (let i = 0; i < 10; i++) await finish(log, `a${i}`, 'A')
    expect(await log.snapshot('b', 'B')).toBeDefined()
    expect(await log.snapshot('a6', 'A')).toBeUndefined()
    expect(await log.snapshot('a9', 'A')).toBeDefined()
  })

  it('count against the memory budget stored responses share', async () => {
    const held = createHeldBudget(2_000)
    const log = createMemoryBackgroundLog({ held })
    await log.open('b', 'B', [], { id: 'b' })
    await log.append('b', [], { id: 'b', text: 'x'.repeat(500) }, true)
    for (let i = 0; i < 5; i++) {
      await log.open(`a${i}`, 'A', [], { id: `a${i}` })
      await log.append(`a${i}`, [], { id: `a${i}`, text: 'x'.repeat(500) }, true)
    }
    expect(await log.snapshot('b', 'B')).toBeDefined()
    expect(await log.snapshot('a0', 'A')).toBeUndefined()
    expect(held.bytes()).toBeLessThanOrEqual(2_000)
  })
})

describe('thread replies', () => {
  /** A reply remembered as a run with a session would be. */
  const reply = async (
    threads: ReturnType<typeof createThreadStore>,
    id: string,
    owner: string
  ) => {
    const { track } = await threads.open({ type: 'create' }, { prompt: 'hi' }, id, owner)
    const result = { type: 'result', result: { sessionId: `s-${id}` } } as unknown as RunEvent
    async function* events() {
      yield result
    }
    for await (const _ of track(events())) {
      // drained
    }
  }
  const continues = async (
    threads: ReturnType<typeof createThreadStore>,
    id: string,
    owner: string
  ) => {
    try {
      await threads.open(
        { type: 'continue', previous_message_id: id },
        { prompt: 'hi' },
        'next',
        owner
      )
      return true
    } catch {
      return false
    }
  }

  it('are kept per key, and another key’s reply is not found', async () => {
    const threads = createThreadStore(createMemoryThreadReplies({ max: 100, maxPerOwner: 3 }))
    await reply(threads, 'b', 'B')
    for (let i = 0; i < 10; i++) await reply(threads, `a${i}`, 'A')
    expect(await continues(threads, 'a6', 'A')).toBe(false)
    expect(await continues(threads, 'a9', 'A')).toBe(true)
    expect(await continues(threads, 'b', 'A')).toBe(false)
    expect(await continues(threads, 'b', 'B')).toBe(true)
  })
})
