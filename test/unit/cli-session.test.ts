/** The CLI session's life with a fake process: what it writes, and every way it can end. */
import { describe, expect, it, vi } from 'vitest'
import { createCliTranslator } from '../../src/adapters/node/cli-protocol/translator.js'
import { createCliSession } from '../../src/adapters/node/session/cli-session.js'
import type { RunEvent } from '../../src/contract/runner.js'
import { createFakeProcess } from '../helpers/fake-cli-process.js'

const dir = () => ({ cwd: '/nowhere', persist: false, cleanup: vi.fn(async () => {}) })

const drain = async (gen: AsyncGenerator<RunEvent, unknown>) => {
  const events: RunEvent[] = []
  for (;;) {
    const next = await gen.next()
    if (next.done) return { events, stretch: next.value }
    events.push(next.value)
  }
}

const converse = (session: ReturnType<typeof createCliSession>, stopAtResult = true) =>
  drain(session.converse(createCliTranslator({}), { tools: [], results: new Map(), stopAtResult }))

describe('CLI session', () => {
  it('sends initialize once, then only prompts; a one-off run closes stdin', async () => {
    const proc = createFakeProcess()
    const session = createCliSession(proc, dir())
    expect(session.state).toBe('fresh')
    session.begin({ prompt: 'one' }, true)
    expect(session.state).toBe('running')
    expect((await converse(session)).stretch).toEqual({ kind: 'result' })
    expect(await session.reset('other-id', 1_000)).toBe(true)
    expect(session.state).toBe('idle')
    session.begin({ prompt: 'two' }, false)
    expect(proc.inputEnded).toBe(true)
    const kinds = proc.written.map((m) => (m as { type: string }).type)
    expect(kinds).toEqual(['control_request', 'user', 'user', 'user'])
    expect(session.runs).toBe(2)
  })

  it('a process that ended before its run began lets the run find out why, without a throw', async () => {
    const proc = createFakeProcess()
    const session = createCliSession(proc, dir())
    proc.exit(1)
    await session.exited
    expect(() => session.begin({ prompt: 'x' }, false)).not.toThrow()
    expect((await converse(session, false)).stretch).toEqual({ kind: 'ended' })
  })

  it('refuses moves its life does not allow', async () => {
    const session = createCliSession(createFakeProcess(), dir())
    expect(() => session.park()).toThrow(/fresh to parked/)
    expect(() => session.resume([], new Map())).toThrow(/fresh to running/)
    session.begin({ prompt: 'x' }, true)
    expect(() => session.begin({ prompt: 'y' }, true)).toThrow(/running to running/)
    session.park()
    expect(() => session.begin({ prompt: 'y' }, true)).toThrow(/parked to running/)
    await session.stop()
    expect(() => session.park()).toThrow(/stopped/)
  })

  it('a reset with no proof of a new conversation stops the process', async () => {
    const proc = createFakeProcess({ clear: 'same' })
    const d = dir()
    const session = createCliSession(proc, d)
    session.begin({ prompt: 'x' }, true)
    const { events } = await converse(session)
    const sessionId = (events.find((e) => e.type === 'init') as { sessionId: string }).sessionId
    expect(await session.reset(sessionId, 1_000)).toBe(false)
    expect(session.state).toBe('stopped')
    expect(proc.alive).toBe(false)
    expect(d.cleanup).toHaveBeenCalledTimes(1)
  })

  it('a reset that never answers is stopped at its deadline', async () => {
    const proc = createFakeProcess({ clear: 'never' })
    const session = createCliSession(proc, dir())
    session.begin({ prompt: 'x' }, true)
    await converse(session)
    expect(await session.reset('id', 20)).toBe(false)
    expect(session.state).toBe('stopped')
    expect(proc.terminated).toBe(1)
  })

  it('a process that exits mid-reset is stopped, not reused', async () => {
    const proc = createFakeProcess({ clear: 'never' })
    const session = createCliSession(proc, dir())
    session.begin({ prompt: 'x' }, true)
    await converse(session)
    const reset = session.reset('id', 60_000)
    proc.exit(1)
    expect(await reset).toBe(false)
    expect(session.state).toBe('stopped')
  })

  /** A session brought to `state` the way a run would bring it there. */
  const sessionIn = async (state: 'fresh' | 'running' | 'parked' | 'idle') => {
    const proc = createFakeProcess({ answerPrompts: false })
    const d = dir()
    const session = createCliSession(proc, d)
    if (state !== 'fresh') session.begin({ prompt: 'x' }, true)
    if (state === 'parked') session.park()
    if (state === 'idle') {
      proc.answer()
      await converse(session)
      await session.reset('id', 1_000)
    }
    expect(session.state).toBe(state)
    return { proc, d, session }
  }

  for (const state of ['fresh', 'running', 'parked', 'idle'] as const) {
    it(`an exit while ${state} stops it and cleans its directory once`, async () => {
      const { proc, d, session } = await sessionIn(state)
      proc.exit(1)
      await session.exited
      await session.stop()
      expect(session.state).toBe('stopped')
      expect(d.cleanup).toHaveBeenCalledTimes(1)
    })

    it(`stop while ${state} (abort, deadline, shutdown) terminates once, however often asked`, async () => {
      const { proc, d, session } = await sessionIn(state)
      await Promise.all([session.stop(), session.stop(), session.stop()])
      expect(proc.terminated).toBe(1)
      expect(d.cleanup).toHaveBeenCalledTimes(1)
      expect(session.state).toBe('stopped')
    })
  }

  it('a run whose process dies mid-answer ends its stretch', async () => {
    const proc = createFakeProcess({ answerPrompts: false })
    const session = createCliSession(proc, dir())
    session.begin({ prompt: 'x' }, true)
    const reading = converse(session)
    proc.exit(137)
    expect((await reading).stretch).toEqual({ kind: 'ended' })
    expect(session.state).toBe('stopped')
  })

  it('lists a fresh process models from its initialize answer', async () => {
    const proc = createFakeProcess()
    const session = createCliSession(proc, dir())
    expect(await session.listModels()).toEqual([])
    await session.stop()
  })
})
