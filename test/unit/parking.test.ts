/** Runs waiting for tool results, with fake CLI sessions: found, checked, taken once, expired. */
import { describe, expect, it } from 'vitest'
import { createCliTranslator } from '../../src/adapters/node/cli-protocol/translator.js'
import { createParkedRuns, type ParkedRun } from '../../src/adapters/node/run/parking.js'
import { createCliSession } from '../../src/adapters/node/session/cli-session.js'
import { createFakeProcess } from '../helpers/fake-cli-process.js'

const parkedRun = (owner: string, id = 'toolu_1', conversation = 'conv'): ParkedRun => {
  const session = createCliSession(createFakeProcess({ answerPrompts: false }), {
    cwd: '/nowhere',
    persist: false,
  })
  session.begin({ prompt: 'x' }, true)
  return {
    session,
    owner,
    tools: [],
    translator: createCliTranslator({}),
    pending: [],
    calls: [id],
    made: [{ id, name: 'get_weather', input: { city: 'Paris' } }],
    charged: 0,
    conversation,
    transcript: { system: '', turns: [['user', 'x']] },
    place: {},
  }
}
const result = (toolUseId = 'toolu_1') => ({ toolUseId, content: 'sunny' })

describe('parked runs', () => {
  it('finds a run by its calls without taking it; take takes it once', () => {
    const parked = createParkedRuns({ ttlMs: 60_000, max: 4, maxPerOwner: 2 })
    const run = parkedRun('a')
    parked.park(run)
    expect(run.session.state).toBe('parked')
    expect(parked.find([result()], 'a', 'conv')).toBe(run)
    expect(parked.size()).toBe(1)
    expect(parked.take(run)).toBe(run)
    expect(parked.size()).toBe(0)
    expect(() => parked.take(run)).toThrow(/waited too long/)
  })

  it('refuses results from another key, for other calls, or for another conversation', () => {
    const parked = createParkedRuns({ ttlMs: 60_000, max: 4, maxPerOwner: 2 })
    parked.park(parkedRun('a'))
    expect(() => parked.find([result()], 'b')).toThrow(
      expect.objectContaining({ type: 'tool_call_not_pending' })
    )
    expect(() => parked.find([result(), result('toolu_9')], 'a')).toThrow(/did not make/)
    expect(() => parked.find([result()], 'a', 'edited')).toThrow(/not the one/)
    expect(() =>
      parked.find([{ ...result(), call: { name: 'get_weather', input: { city: 'Rome' } } }], 'a')
    ).toThrow(/other input/)
    // Key order does not make a call another one.
    expect(
      parked.find([{ ...result(), call: { name: 'get_weather', input: { city: 'Paris' } } }], 'a')
    ).toBeDefined()
  })

  it('stops a run that waits too long, with its process', async () => {
    const expired: ParkedRun[] = []
    const parked = createParkedRuns({
      ttlMs: 20,
      max: 4,
      maxPerOwner: 2,
      onExpire: (r) => expired.push(r),
    })
    const run = parkedRun('a')
    parked.park(run)
    await expect.poll(() => run.session.state).toBe('stopped')
    expect(expired).toEqual([run])
    expect(() => parked.find([result()], 'a')).toThrow(
      expect.objectContaining({ type: 'tool_call_not_pending' })
    )
  })

  it('keeps the waiting processes within their memory budget, stopping the oldest first', async () => {
    const parked = createParkedRuns({
      ttlMs: 60_000,
      max: 16,
      maxPerOwner: 16,
      maxRssBytes: 250,
      residentBytes: async () => 100,
    })
    const runs = ['1', '2', '3'].map((n) => parkedRun('a', `c${n}`))
    for (const run of runs) parked.park(run)
    // 300 held, 250 allowed: the oldest goes, the two newest stay.
    await expect
      .poll(() => runs.map((r) => r.session.state))
      .toEqual(['stopped', 'parked', 'parked'])
    expect(parked.size()).toBe(2)
  })

  it("makes room: a key's oldest beyond its share, then the oldest of all", () => {
    const parked = createParkedRuns({ ttlMs: 60_000, max: 3, maxPerOwner: 2 })
    const [a1, a2, a3] = ['1', '2', '3'].map((n) => parkedRun('a', `a${n}`))
    const [b1, b2] = ['1', '2'].map((n) => parkedRun('b', `b${n}`))
    for (const run of [a1, a2, a3]) parked.park(run as ParkedRun)
    expect(a1?.session.state).toBe('stopped')
    parked.park(b1 as ParkedRun)
    parked.park(b2 as ParkedRun)
    expect(a2?.session.state).toBe('stopped')
    expect(parked.size()).toBe(3)
    parked.close()
    expect(parked.size()).toBe(0)
    expect(b2?.session.state).toBe('stopped')
  })
})
