/** Conversations held in their processes, with fake CLI sessions: found, bounded, let go. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createHeldConversations,
  heldKey,
} from '../../src/adapters/node/pool/held-conversations.js'
import { createCliSession } from '../../src/adapters/node/session/cli-session.js'
import { createFakeProcess } from '../helpers/fake-cli-process.js'

/** A session whose run has just answered: it may hold its conversation now. */
const answered = (reusable = true) => {
  const session = createCliSession(
    createFakeProcess({ answerPrompts: false }),
    { cwd: '/nowhere', persist: false },
    { reusable }
  )
  session.begin({ prompt: 'x' }, true)
  return session
}
const conversation = (...turns: string[]) => ({
  system: 'Be brief.',
  turns: turns.map((text, i): ['user' | 'assistant', string] => [
    i % 2 ? 'assistant' : 'user',
    text,
  ]),
})
const place = 'haiku|key-a|tools'
const keyOf = (...turns: string[]) => heldKey(place, conversation(...turns))
const where = { place, sessionId: 'session-1' }

afterEach(() => {
  vi.useRealTimers()
})

describe('held conversations', () => {
  it('gives the process back to the turn that extends its conversation, once', () => {
    const held = createHeldConversations({ max: 4, maxPerOwner: 2, idleMs: 60_000 })
    const session = answered()
    held.hold(session, keyOf('hi', 'hello'), 'key-a', where)
    expect(session.state).toBe('holding')
    expect(held.take(keyOf('hi', 'hello!'))).toBeUndefined()
    expect(held.take(heldKey('sonnet|key-a|tools', conversation('hi', 'hello')))).toBeUndefined()
    expect(held.take(keyOf('hi', 'hello'))).toBe(session)
    expect(held.take(keyOf('hi', 'hello'))).toBeUndefined()
    expect(held.status()).toEqual({ held: 0, continued: 1, cleared: 0 })
  })

  it('holds at most its bound, and a key at most its share: the oldest of the key goes', () => {
    const held = createHeldConversations({ max: 3, maxPerOwner: 2, idleMs: 60_000 })
    const [a1, a2, a3, b1, c1] = [answered(), answered(), answered(), answered(), answered()]
    held.hold(a1, keyOf('a1'), 'key-a', where)
    held.hold(a2, keyOf('a2'), 'key-a', where)
    held.hold(a3, keyOf('a3'), 'key-a', where)
    expect([a1.state, a2.state, a3.state]).toEqual(['stopped', 'holding', 'holding'])
    held.hold(b1, keyOf('b1'), 'key-b', where)
    held.hold(c1, keyOf('c1'), 'key-c', where)
    // Past the bound, the key that holds the most gives way.
    expect(a2.state).toBe('stopped')
    expect(held.status().held).toBe(3)
  })

  it('lets a conversation go after it has waited its time', () => {
    vi.useFakeTimers()
    const held = createHeldConversations({ max: 4, maxPerOwner: 2, idleMs: 1_000 })
    const session = answered()
    held.hold(session, keyOf('hi'), 'key-a', where)
    vi.advanceTimersByTime(1_001)
    expect(session.state).toBe('stopped')
    expect(held.take(keyOf('hi'))).toBeUndefined()
    expect(held.status().held).toBe(0)
  })

  it('gives a process that may be reset to a new conversation of its place', () => {
    const held = createHeldConversations({ max: 4, maxPerOwner: 2, idleMs: 60_000 })
    const once = answered(false)
    const reusable = answered()
    held.hold(once, keyOf('one'), 'key-a', where)
    held.hold(reusable, keyOf('two'), 'key-a', where)
    expect(held.takeToClear('another place')).toBeUndefined()
    expect(held.takeToClear(place)?.session).toBe(reusable)
    expect(held.status()).toEqual({ held: 1, continued: 0, cleared: 1 })
  })

  it('holds nothing when its bound is 0, and close stops what it holds', async () => {
    const none = createHeldConversations({ max: 0, maxPerOwner: 2, idleMs: 60_000 })
    const turned = answered()
    none.hold(turned, keyOf('hi'), 'key-a', where)
    expect(turned.state).toBe('stopped')
    const held = createHeldConversations({ max: 4, maxPerOwner: 2, idleMs: 60_000 })
    const session = answered()
    held.hold(session, keyOf('hi'), 'key-a', where)
    await held.close()
    expect(session.state).toBe('stopped')
    expect(held.status().held).toBe(0)
  })
})
