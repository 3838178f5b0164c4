/** The warm pool with fake CLI sessions: who gets which process, and that no take ever hangs. */
import { describe, expect, it } from 'vitest'
import { createWarmPool } from '../../src/adapters/node/pool/warm-pool.js'
import { createCliSession } from '../../src/adapters/node/session/cli-session.js'
import { createFakeProcess } from '../helpers/fake-cli-process.js'

const haiku = { model: 'haiku', maxTurns: 1 }
const fresh = () => createCliSession(createFakeProcess(), { cwd: '/nowhere', persist: false })
/** A session that served a run (its answer read) and is ready to be reset. */
const served = async () => {
  const session = createCliSession(createFakeProcess({ answerPrompts: false }), {
    cwd: '/nowhere',
    persist: false,
  })
  session.begin({ prompt: 'x' }, true)
  return session
}
const poolOf = (size = 2, idleMs = 60_000) => {
  const started: ReturnType<typeof fresh>[] = []
  const pool = createWarmPool({
    size,
    idleMs,
    start: async () => {
      const session = fresh()
      started.push(session)
      return session
    },
  })
  return { pool, started }
}
const filled = async (pool: ReturnType<typeof poolOf>['pool']) =>
  expect.poll(() => pool.status().warm + pool.status().starting).toBeGreaterThan(0)

describe('warm pool', () => {
  it('hands a fresh process of the shape to anyone, and none of another shape', async () => {
    const { pool, started } = poolOf()
    pool.refill(haiku)
    await expect.poll(() => pool.status().warm).toBe(1)
    expect(await pool.take({ model: 'sonnet', maxTurns: 1 })).toBeUndefined()
    expect(await pool.take(haiku, 'tenant-a')).toBe(started[0])
    expect(pool.status()).toMatchObject({ warm: 0, used: 1 })
  })

  it('a full pool does not replace a waiting fresh process with another of its shape', async () => {
    const { pool, started } = poolOf(1)
    pool.refill(haiku)
    await expect.poll(() => pool.status().warm).toBe(1)
    // As after each held conversation's turn: no start-up is burnt to stand in for its like.
    pool.refill(haiku)
    pool.refill(haiku)
    expect(started).toHaveLength(1)
    expect(started[0]?.state).not.toBe('stopped')
    expect(pool.status()).toMatchObject({ warm: 1, retired: 0 })
  })

  it('keeps a reset process for its tenant only', async () => {
    const { pool } = poolOf()
    const session = await served()
    pool.recycle(session, haiku, 'tenant-a', () => session.reset('old-id', 1_000))
    await expect.poll(() => pool.status().warm).toBe(1)
    expect(await pool.take(haiku, 'tenant-b')).toBeUndefined()
    expect(await pool.take(haiku, 'tenant-a')).toBe(session)
    expect(pool.status().reused).toBe(1)
  })

  it('lets a tenant claim its process while the reset is still going', async () => {
    const { pool } = poolOf()
    const session = await served()
    let finish!: (ready: boolean) => void
    pool.recycle(session, haiku, 'tenant-a', async () => {
      await new Promise<boolean>((resolve) => (finish = resolve))
      return session.reset('old-id', 1_000)
    })
    const taking = pool.take(haiku, 'tenant-a')
    finish(true)
    expect(await taking).toBe(session)
  })

  it('answers a claim on a reset that fails, instead of leaving it waiting', async () => {
    const { pool } = poolOf()
    const session = await served()
    let finish!: () => void
    pool.recycle(session, haiku, 'tenant-a', async () => {
      await new Promise<void>((resolve) => (finish = resolve))
      return false
    })
    const taking = pool.take(haiku, 'tenant-a')
    finish()
    await expect(taking).resolves.not.toBe(session)
    expect(session.state).toBe('stopped')
  })

  it('never lets a tenant claim a process whose fate is already decided', async () => {
    // The reset failed and the process is still stopping (it takes its time to exit): a run
    // that comes now must not wait for it (the hang under load: a slot held by a run with no
    // process).
    const { pool } = poolOf()
    const proc = createFakeProcess({ answerPrompts: false, stubborn: 'never' })
    const session = createCliSession(proc, { cwd: '/nowhere', persist: false })
    session.begin({ prompt: 'x' }, true)
    pool.recycle(session, haiku, 'tenant-a', async () => false)
    await expect.poll(() => session.state).toBe('stopped')
    expect(proc.alive).toBe(true)
    const taken = await pool.take(haiku, 'tenant-a')
    expect(taken).not.toBe(session)
    proc.exit(137)
  })

  it('stops a process unused for its idle time, and one that dies while waiting', async () => {
    const { pool, started } = poolOf(2, 30)
    pool.refill(haiku)
    await filled(pool)
    await expect.poll(() => started[0]?.state).toBe('stopped')
    expect(pool.status().warm).toBe(0)
  })

  it('makes room by stopping the oldest waiting process of another key', async () => {
    const { pool, started } = poolOf(1)
    pool.refill(haiku)
    await expect.poll(() => pool.status().warm).toBe(1)
    pool.refill({ model: 'sonnet', maxTurns: 1 })
    await expect.poll(() => started.length).toBe(2)
    await expect.poll(() => started[0]?.state).toBe('stopped')
  })

  it('stops everything it holds when closed, resets included', async () => {
    const { pool, started } = poolOf()
    pool.refill(haiku)
    await expect.poll(() => pool.status().warm).toBe(1)
    const session = await served()
    pool.recycle(session, haiku, 'tenant-a', () => new Promise<boolean>(() => {}))
    const closing = pool.close()
    await expect.poll(() => session.state).toBe('stopped')
    expect(started[0]?.state).toBe('stopped')
    void closing
  })
})
