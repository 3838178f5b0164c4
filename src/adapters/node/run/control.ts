/**
 * The runs in progress, for a shutdown that always finishes: each run is registered before it
 * holds anything and leaves in its `finally`, and its controller joins the client's signal and
 * the deadline in one abort. Nothing is registered for a run refused on the way in.
 */
import {
  DeadlineExceededError,
  RunAbortedError,
  RunnerUnavailableError,
} from '../../../errors/index.js'

export type RunControl = {
  /** Aborts on the client's signal, the deadline, or shutdown; the reason says which. */
  signal: AbortSignal
  /** Ends the run's registration (its cleanup is done). */
  leave(): void
}

export type RunTracker = ReturnType<typeof createRunTracker>

export const createRunTracker = () => {
  const runs = new Map<AbortController, Promise<void>>()
  let closing = false

  return {
    get closing() {
      return closing
    },
    get size() {
      return runs.size
    },
    /** Registers a run; throws when shutting down or when the client has already left. */
    enter(clientSignal: AbortSignal | undefined, timeoutMs: number): RunControl {
      if (closing)
        throw new RunnerUnavailableError('The server is shutting down', { retryAfter: 5 })
      if (clientSignal?.aborted) throw new RunAbortedError('The run was aborted')
      const controller = new AbortController()
      const timer = setTimeout(
        () =>
          controller.abort(
            new DeadlineExceededError(
              `The run did not finish within its deadline (${timeoutMs} ms)`
            )
          ),
        timeoutMs
      )
      const onAbort = () => controller.abort(new RunAbortedError('The run was aborted'))
      clientSignal?.addEventListener('abort', onAbort, { once: true })
      let finished!: () => void
      runs.set(controller, new Promise<void>((resolve) => (finished = resolve)))
      return {
        signal: controller.signal,
        leave() {
          clearTimeout(timer)
          clientSignal?.removeEventListener('abort', onAbort)
          runs.delete(controller)
          finished()
        },
      }
    },
    /**
     * Refuses new runs, lets running ones finish within `graceMs`, aborts the rest, and resolves
     * once every run has left.
     */
    async close(graceMs: number) {
      closing = true
      const all = () => Promise.all([...runs.values()])
      if (graceMs > 0 && runs.size > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined
        await Promise.race([
          all(),
          new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
        ])
        clearTimeout(timer)
      }
      const stopping = new RunnerUnavailableError('The server shut down before the run finished')
      for (const controller of runs.keys()) controller.abort(stopping)
      await all()
    },
  }
}
