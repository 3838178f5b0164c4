/**
 * CLI processes started ahead of demand. Start-up is most of a run's cost (~1 s and ~1.3 CPU-s
 * cold; a process started ahead answered in ~0.2 s, measured on 2.1.330), and everything per
 * request (system prompt, JSON schema, the prompt) travels on stdin, so a process started with
 * the few flags fixed at spawn can serve any run of that shape. Each process serves one run and
 * is then gone: runs never share a process.
 * - A shape is the model and max turns; runs with tools, budgets, kept sessions or earlier turns
 *   start cold, as before.
 * - A run takes a ready process of its shape; the replacement starts after the run ends, so it
 *   does not compete with the run for CPU. A shape that ran cold is started ahead next time.
 * - At most `size` processes wait at once (the least recently used shape gives way); one unused
 *   for `idleMs` is stopped.
 */
import type { RunRequest } from '../../runner.js'
import type { CliProcess } from './process.js'
import type { WorkDir } from './work-dir.js'

export type Warm = { proc: CliProcess; dir: WorkDir }

export type WarmPoolOptions = {
  /** Processes that may wait at once; 0 turns the pool off. */
  size: number
  /** A waiting process unused for this long is stopped. */
  idleMs: number
  /** Starts a process for a shape (see `warmShapeOf`). */
  start: (shape: WarmShape) => Promise<Warm>
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
    request.history?.length
  ) {
    return undefined
  }
  return { model: request.model, maxTurns: request.maxTurns }
}

const keyOf = (shape: WarmShape) => JSON.stringify([shape.model ?? null, shape.maxTurns ?? null])

type Waiting = Warm & { key: string; timer: ReturnType<typeof setTimeout> }

export const createWarmPool = ({ size, idleMs, start, onError }: WarmPoolOptions) => {
  const waiting: Waiting[] = []
  let starting = 0
  let closed = false
  const counts = { started: 0, used: 0, retired: 0 }

  const stop = (warm: Waiting) => {
    const index = waiting.indexOf(warm)
    if (index !== -1) waiting.splice(index, 1)
    clearTimeout(warm.timer)
    counts.retired++
    return warm.proc.terminate().then(() => warm.dir.cleanup?.())
  }

  /** Starts one more process for `shape` if there is room (made from another shape if need be). */
  const fill = (shape: WarmShape) => {
    if (closed || size <= 0) return
    const key = keyOf(shape)
    if (waiting.length + starting >= size) {
      const oldest = waiting.find((w) => w.key !== key)
      if (!oldest) return
      void stop(oldest)
    }
    starting++
    counts.started++
    start(shape).then(
      (warm) => {
        starting--
        if (closed) {
          void warm.proc.terminate().then(() => warm.dir.cleanup?.())
          return
        }
        const entry: Waiting = { ...warm, key, timer: setTimeout(() => void stop(entry), idleMs) }
        entry.timer.unref?.()
        waiting.push(entry)
        // One that dies while waiting (a crash) is simply gone.
        void warm.proc.exited.then(() => {
          if (waiting.includes(entry)) void stop(entry)
        })
      },
      (error: unknown) => {
        starting--
        onError?.(error)
      }
    )
  }

  return {
    /** A ready process for the shape, if one is waiting. */
    take(shape: WarmShape): Warm | undefined {
      const key = keyOf(shape)
      const index = waiting.findIndex((w) => w.key === key)
      if (index === -1) return undefined
      const [warm] = waiting.splice(index, 1) as [Waiting]
      clearTimeout(warm.timer)
      counts.used++
      return { proc: warm.proc, dir: warm.dir }
    },
    /** After a run of this shape: have a process ready for the next one. */
    refill: fill,
    status: () => ({ warm: waiting.length, starting, ...counts }),
    async close() {
      closed = true
      await Promise.all([...waiting].map(stop))
    },
  }
}
