/**
 * CLI processes kept ready for the next run. Start-up is most of a run's cost (~1 s and ~1.3 CPU-s
 * cold; a process started ahead answered in ~0.2 s, one reused after `/clear` in ~0.05 s, measured
 * on 2.1.330), and everything per request travels on stdin, so a process started with the few
 * flags fixed at spawn can serve any run of that shape.
 * - A shape is the model and max turns; runs with tools, budgets, kept sessions or earlier turns
 *   start cold, as before.
 * - A fresh process (never initialized) serves anyone. A process that served a run is parked for
 *   its tenant only: the same key with the same system prompt and schema, which `initialize`
 *   fixed for the life of the process (see recycle.ts for how it is reset between runs).
 * - At most `size` processes wait at once (the least recently parked gives way); one unused for
 *   `idleMs` is stopped. A fresh replacement starts after a run whose process is not reused, so
 *   it does not compete with the run for CPU.
 */
import type { RunRequest } from '../../runner.js'
import type { CliProcess } from './process.js'
import type { WorkDir } from './work-dir.js'

/** A process and its directory; `runs` it has served (0: fresh, `initialize` not sent yet). */
export type Warm = { proc: CliProcess; dir: WorkDir; runs: number }

export type WarmPoolOptions = {
  /** Processes that may wait at once; 0 turns the pool off. */
  size: number
  /** A waiting process unused for this long is stopped. */
  idleMs: number
  /** Starts a process for a shape (see `warmShapeOf`). */
  start: (shape: WarmShape) => Promise<Omit<Warm, 'runs'>>
  onError?: (error: unknown) => void
}

export type WarmShape = { model?: string; maxTurns?: number }

/** The shape a run needs, or undefined when it must start cold. */
export const warmShapeOf = (request: RunRequest): WarmShape | undefined => {
  if (
    request.allowedTools?.length ||
    request.disallowedTools?.length ||
    request.maxBudgetUsd !== undefined ||
    request.resumeSessionId ||
    request.persistSession ||
    request.history?.length ||
    request.tools?.length ||
    request.toolResults?.length
  ) {
    return undefined
  }
  return { model: request.model, maxTurns: request.maxTurns }
}

const keyOf = (shape: WarmShape, tenant?: string) =>
  JSON.stringify([shape.model ?? null, shape.maxTurns ?? null, tenant ?? null])

type Waiting = Warm & { key: string; timer: ReturnType<typeof setTimeout> }

/** A process being reset; a run of its tenant may claim it before the reset is over. */
type Resetting = { warm: Warm; key: string; claim?: (warm: Warm | undefined) => void }

const stopProcess = (warm: Warm) => warm.proc.terminate().then(() => warm.dir.cleanup?.())

export const createWarmPool = ({ size, idleMs, start, onError }: WarmPoolOptions) => {
  const waiting: Waiting[] = []
  const preparing = new Map<Promise<void>, Resetting>()
  const startingNow = new Set<Promise<void>>()
  let starting = 0
  let closed = false
  const counts = { started: 0, used: 0, reused: 0, retired: 0 }

  const stop = (warm: Waiting) => {
    const index = waiting.indexOf(warm)
    if (index !== -1) waiting.splice(index, 1)
    clearTimeout(warm.timer)
    counts.retired++
    return stopProcess(warm)
  }

  /** Makes room for one more, taking it from another key if need be; false: no room. */
  const makeRoom = (key: string) => {
    if (waiting.length + starting < size) return true
    const oldest = waiting.find((w) => w.key !== key) ?? waiting[0]
    if (!oldest) return false
    void stop(oldest)
    return true
  }

  const add = (warm: Warm, key: string) => {
    const entry: Waiting = { ...warm, key, timer: setTimeout(() => void stop(entry), idleMs) }
    entry.timer.unref?.()
    waiting.push(entry)
    // One that dies while waiting (a crash) is simply gone.
    void warm.proc.exited.then(() => {
      if (waiting.includes(entry)) void stop(entry)
    })
  }

  /** Starts one more fresh process for `shape` if there is room. */
  const fill = (shape: WarmShape) => {
    if (closed || size <= 0) return
    const key = keyOf(shape)
    if (!makeRoom(key)) return
    starting++
    counts.started++
    const started = start(shape).then(
      (warm) => {
        starting--
        if (closed) return stopProcess({ ...warm, runs: 0 })
        add({ ...warm, runs: 0 }, key)
      },
      (error: unknown) => {
        starting--
        onError?.(error)
      }
    )
    startingNow.add(started)
    void started.finally(() => startingNow.delete(started))
  }

  const takeKey = (key: string) => {
    const index = waiting.findIndex((w) => w.key === key)
    if (index === -1) return undefined
    const [warm] = waiting.splice(index, 1) as [Waiting]
    clearTimeout(warm.timer)
    return { proc: warm.proc, dir: warm.dir, runs: warm.runs }
  }

  /** This tenant's process once its reset is over (undefined if it fails): ~0.1 s at most. */
  const claimResetting = (key: string) => {
    const entry = [...preparing.values()].find((r) => r.key === key && !r.claim)
    if (!entry) return undefined
    return new Promise<Warm | undefined>((resolve) => (entry.claim = resolve))
  }

  const takeFresh = (shape: WarmShape) => {
    const fresh = takeKey(keyOf(shape))
    if (fresh) counts.used++
    return fresh
  }

  return {
    /**
     * A process for a run, best first: one this tenant used before (reset since, or being reset,
     * which is sooner than a fresh one answers), else a fresh one; undefined: start one cold.
     */
    async take(shape: WarmShape, tenant?: string): Promise<Warm | undefined> {
      if (tenant === undefined) return takeFresh(shape)
      const key = keyOf(shape, tenant)
      const reused = takeKey(key) ?? (await claimResetting(key))
      if (reused) {
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
    recycle(warm: Warm, shape: WarmShape, tenant: string, prepare: () => Promise<boolean>) {
      const entry: Resetting = { warm, key: keyOf(shape, tenant) }
      const done = (closed ? Promise.resolve(false) : prepare())
        .catch(() => false)
        .then((ready) => {
          if (ready && !closed && entry.claim) entry.claim(warm)
          else if (ready && !closed && size > 0 && makeRoom(entry.key)) add(warm, entry.key)
          else {
            entry.claim?.(undefined)
            counts.retired++
            fill(shape)
            return stopProcess(warm)
          }
        })
        .finally(() => preparing.delete(done))
      preparing.set(done, entry)
    },
    status: () => ({ warm: waiting.length, starting, resetting: preparing.size, ...counts }),
    async close() {
      closed = true
      await Promise.all([...waiting].map(stop))
      // A reset in progress ends with its process, which then sees `closed`.
      for (const { warm } of preparing.values()) void warm.proc.terminate()
      await Promise.all([...preparing.keys(), ...startingNow])
    },
  }
}
