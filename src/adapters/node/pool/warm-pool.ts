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

export type WarmPoolOptions = {
  /** Processes that may wait at once; 0 turns the pool off. */
  size: number
  /** A waiting process unused for this long is stopped. */
  idleMs: number
  /** Starts a fresh session for a shape. */
  start: (shape: WarmShape) => Promise<CliSession>
  onError?: (error: unknown) => void
}

type Waiting = { session: CliSession; key: string; timer: ReturnType<typeof setTimeout> }

/**
 * A session being reset; a run of its tenant may claim it before the reset is over. It leaves
 * the set in the same step that decides its fate, so a claim is never made too late to answer.
 */
type Resetting = { session: CliSession; key: string; claim?: (s: CliSession | undefined) => void }

export type WarmPool = ReturnType<typeof createWarmPool>

export const createWarmPool = ({ size, idleMs, start, onError }: WarmPoolOptions) => {
  const waiting: Waiting[] = []
  const resetting = new Set<Resetting>()
  const work = new Set<Promise<unknown>>()
  let starting = 0
  let closed = false
  const counts = { started: 0, used: 0, reused: 0, retired: 0 }

  const track = (promise: Promise<unknown>) => {
    work.add(promise)
    void promise.finally(() => work.delete(promise))
  }

  const remove = (entry: Waiting) => {
    const index = waiting.indexOf(entry)
    if (index === -1) return false
    waiting.splice(index, 1)
    clearTimeout(entry.timer)
    return true
  }

  const retire = (entry: Waiting) => {
    if (remove(entry)) counts.retired++
    return entry.session.stop()
  }

  /** Makes room for one more, taking it from another key if need be; false: no room. */
  const makeRoom = (key: string) => {
    if (waiting.length + starting < size) return true
    const oldest = waiting.find((w) => w.key !== key) ?? waiting[0]
    if (!oldest) return false
    void retire(oldest)
    return true
  }

  const add = (session: CliSession, key: string) => {
    const entry: Waiting = { session, key, timer: setTimeout(() => void retire(entry), idleMs) }
    entry.timer.unref?.()
    waiting.push(entry)
    // One that dies while waiting (a crash) is simply gone.
    void session.exited.then(() => {
      if (remove(entry)) counts.retired++
    })
  }

  /** Starts one more fresh process for `shape` if there is room. */
  const fill = (shape: WarmShape) => {
    if (closed || size <= 0) return
    const key = poolKey(shape)
    if (!makeRoom(key)) return
    starting++
    counts.started++
    track(
      start(shape).then(
        (session) => {
          starting--
          if (closed) return session.stop()
          add(session, key)
        },
        (error: unknown) => {
          starting--
          onError?.(error)
        }
      )
    )
  }

  const takeKey = (key: string) => {
    const entry = waiting.find((w) => w.key === key && w.session.state !== 'stopped')
    if (entry) remove(entry)
    return entry?.session
  }

  /** This tenant's process once its reset is over (undefined if it fails): ~0.1 s at most. */
  const claimResetting = (key: string) => {
    const entry = [...resetting].find((r) => r.key === key && !r.claim)
    if (!entry) return undefined
    return new Promise<CliSession | undefined>((resolve) => (entry.claim = resolve))
  }

  const takeFresh = (shape: WarmShape) => {
    const fresh = takeKey(poolKey(shape))
    if (fresh) counts.used++
    return fresh
  }

  return {
    /**
     * A process for a run, best first: one this tenant used before (reset since, or being reset,
     * which is sooner than a fresh one answers), else a fresh one; undefined: start one cold.
     */
    async take(shape: WarmShape, tenant?: string): Promise<CliSession | undefined> {
      if (tenant === undefined) return takeFresh(shape)
      const key = poolKey(shape, tenant)
      const reused = takeKey(key) ?? (await claimResetting(key))
      if (reused && reused.state === 'idle') {
        counts.reused++
        return reused
      }
      return takeFresh(shape)
    },
    /** After a run of this shape whose process is gone: have a process ready for the next one. */
    refill: fill,
    /** After a run whose process could have been reused but is gone (an error, an abort). */
    discard(shape: WarmShape) {
      counts.retired++
      fill(shape)
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
      resetting.add(entry)
      track(
        (closed ? Promise.resolve(false) : prepare())
          .catch(() => false)
          .then((ready) => {
            resetting.delete(entry)
            if (ready && !closed && entry.claim) return entry.claim(session)
            if (ready && !closed && size > 0 && makeRoom(entry.key)) return add(session, entry.key)
            entry.claim?.(undefined)
            counts.retired++
            fill(shape)
            return session.stop()
          })
      )
    },
    status: () => ({ warm: waiting.length, starting, resetting: resetting.size, ...counts }),
    async close() {
      closed = true
      await Promise.all([...waiting].map(retire))
      // A reset in progress ends with its process, which then sees `closed`.
      for (const { session } of resetting) void session.stop()
      await Promise.all([...work])
    },
  }
}
