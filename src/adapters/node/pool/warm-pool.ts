/**
 * CLI processes kept ready for the next run. Start-up is most of a run's cost (~1 s and ~1.3 CPU-s
 * cold; a process started ahead answered in ~0.2 s, one reused after `/clear` in ~0.05 s, measured
 * on 2.1.330), and everything per request travels on stdin, so a process started with the few
 * flags fixed at spawn can serve any run of that shape (shape.ts).
 * - A fresh process (never initialized) serves anyone. A process that served a run waits for its
 *   tenant only (tenant.ts), once its session has reset it.
 * - At most `size` processes wait at once (the least recently parked gives way); one unused for
 *   `idleMs` is stopped. A fresh replacement starts after a run whose process is not reused, so
 *   it does not compete with the run for CPU.
 * The pool decides which session waits where; the session itself does the writing and stopping.
 */
import type { CliSession } from '../session/cli-session.js'
import { poolKey, type WarmShape } from './shape.js'
import { createWaitingSessions } from './waiting-sessions.js'

export type WarmPoolOptions = {
  /** Processes that may wait at once; 0 turns the pool off. */
  size: number
  /** A waiting process unused for this long is stopped. */
  idleMs: number
  /** Starts a fresh session for a shape. */
  start: (shape: WarmShape) => Promise<CliSession>
  onError?: (error: unknown) => void
}

/**
 * A session being reset; a run of its tenant may claim it before the reset is over. It leaves
 * the set in the same step that decides its fate, so a claim is never made too late to answer.
 */
type Resetting = { session: CliSession; key: string; claim?: (s: CliSession | undefined) => void }

/** The pool's state, shared by the steps below. */
interface Pool extends WarmPoolOptions {
  waiting: ReturnType<typeof createWaitingSessions>
  resetting: Set<Resetting>
  work: Set<Promise<unknown>>
  starting: number
  closed: boolean
  counts: { started: number; used: number; reused: number; retired: number }
}

const track = (pool: Pool, promise: Promise<unknown>) => {
  pool.work.add(promise)
  void promise.finally(() => pool.work.delete(promise))
}

const makeRoom = (pool: Pool, key: string) => pool.waiting.makeRoom(key, pool.size - pool.starting)

/** Starts one more fresh process for `shape` if there is room. */
const fill = (pool: Pool, shape: WarmShape) => {
  if (pool.closed || pool.size <= 0) return
  const key = poolKey(shape)
  if (!makeRoom(pool, key)) return
  pool.starting++
  pool.counts.started++
  const started = pool.start(shape).then(
    (session) => (pool.closed ? session.stop() : pool.waiting.add(session, key)),
    (error: unknown) => pool.onError?.(error)
  )
  track(
    pool,
    started.finally(() => pool.starting--)
  )
}

/** This tenant's process once its reset is over (undefined if it fails): ~0.1 s at most. */
const claimResetting = (pool: Pool, key: string) => {
  const entry = [...pool.resetting].find((r) => r.key === key && !r.claim)
  if (!entry) return undefined
  return new Promise<CliSession | undefined>((resolve) => (entry.claim = resolve))
}

const takeFresh = (pool: Pool, shape: WarmShape) => {
  const fresh = pool.waiting.take(poolKey(shape))
  if (fresh) pool.counts.used++
  return fresh
}

/** This tenant's process, reset since or being reset (sooner than a fresh one answers). */
const takeReused = async (pool: Pool, shape: WarmShape, tenant: string) => {
  const key = poolKey(shape, tenant)
  const reused = pool.waiting.take(key) ?? (await claimResetting(pool, key))
  if (reused?.state !== 'idle') return undefined
  pool.counts.reused++
  return reused
}

/** A reset is over: the session goes to its claimant, else waits, else makes way for a fresh one. */
const settleReset = (pool: Pool, entry: Resetting, shape: WarmShape, ready: boolean) => {
  pool.resetting.delete(entry)
  const open = ready && !pool.closed
  if (open && entry.claim) return entry.claim(entry.session)
  if (open && pool.size > 0 && makeRoom(pool, entry.key)) {
    return pool.waiting.add(entry.session, entry.key)
  }
  entry.claim?.(undefined)
  pool.counts.retired++
  fill(pool, shape)
  return entry.session.stop()
}

export type WarmPool = ReturnType<typeof createWarmPool>

export const createWarmPool = (options: WarmPoolOptions) => {
  const pool: Pool = {
    ...options,
    waiting: createWaitingSessions(options.idleMs),
    resetting: new Set(),
    work: new Set(),
    starting: 0,
    closed: false,
    counts: { started: 0, used: 0, reused: 0, retired: 0 },
  }
  return {
    /** A process for a run, best first: its tenant's (`takeReused`), else a fresh one. */
    take: async (shape: WarmShape, tenant?: string): Promise<CliSession | undefined> =>
      (tenant !== undefined && (await takeReused(pool, shape, tenant))) || takeFresh(pool, shape),
    /** A process its tenant used before, reset since (or being reset): undefined if none. */
    takeReused: (shape: WarmShape, tenant: string) => takeReused(pool, shape, tenant),
    /** A fresh process of this shape: undefined, start one cold. */
    takeFresh: (shape: WarmShape) => takeFresh(pool, shape),
    /** After a run of this shape whose process is gone: have a process ready for the next one. */
    refill: (shape: WarmShape) => fill(pool, shape),
    /** After a run whose process could have been reused but is gone (an error, an abort). */
    discard(shape: WarmShape) {
      pool.counts.retired++
      fill(pool, shape)
    },
    /**
     * After a run whose process may serve its tenant again: `prepare` resets it (false or a
     * rejection: it is stopped and a fresh one takes its place), then it waits for the tenant.
     */
    recycle(
      session: CliSession,
      shape: WarmShape,
      tenant: string,
      prepare: () => Promise<boolean>
    ) {
      const entry: Resetting = { session, key: poolKey(shape, tenant) }
      pool.resetting.add(entry)
      const ready = pool.closed ? Promise.resolve(false) : prepare().catch(() => false)
      track(
        pool,
        ready.then((ok) => settleReset(pool, entry, shape, ok))
      )
    },
    status: () => ({
      warm: pool.waiting.size,
      starting: pool.starting,
      resetting: pool.resetting.size,
      ...pool.counts,
      retired: pool.counts.retired + pool.waiting.retired,
    }),
    async close() {
      pool.closed = true
      await pool.waiting.retireAll()
      // A reset in progress ends with its process, which then sees `closed`.
      for (const { session } of pool.resetting) void session.stop()
      await Promise.all([...pool.work])
    },
  }
}
