/**
 * Background responses (`background: true`): the run goes on without its client. Every event it
 * streams is kept, numbered, so a client that lost its connection follows again from
 * `starting_after` without gaps or duplicates; `cancel` stops the run. Bounded: runs per key
 * and in all, events per run, and how long a finished run's events are kept. Held by the
 * server process that answered.
 */
import { QueueFullError } from '../../errors/index.js'
import { toClaudeError } from '../../http/errors.js'
import type { RunEvent, RunResult } from '../../runner.js'
import type { StreamEvent } from './output-items.js'
import type { ResponseBuilder } from './response.js'

type Run = {
  owner: string
  builder: ResponseBuilder
  events: StreamEvent[]
  done: boolean
  cancelled: boolean
  controller: AbortController
  /** Settles when the run has ended and its last event is kept. */
  task?: Promise<void>
  /** Woken when an event is added or the run ends. */
  waiters: Set<() => void>
}

export type BackgroundOptions = {
  maxPerOwner?: number
  max?: number
  /** Events kept per run; beyond it the run is stopped (a stream that big is not a chat). */
  maxEvents?: number
  /** How long a finished run's events can still be replayed. */
  keepMs?: number
}

export const createBackgroundRuns = ({
  maxPerOwner = 8,
  max = 256,
  maxEvents = 50_000,
  keepMs = 3600_000,
}: BackgroundOptions = {}) => {
  const runs = new Map<string, Run>()
  const running = (owner?: string) =>
    [...runs.values()].filter((r) => !r.done && (owner === undefined || r.owner === owner)).length

  const push = (run: Run, events: StreamEvent[]) => {
    run.events.push(...events)
    if (run.events.length > maxEvents) run.controller.abort()
    for (const wake of run.waiters) wake()
  }

  return {
    /** Starts following `events` in the background; `signal` for the run is the returned one. */
    start(
      id: string,
      owner: string,
      builder: ResponseBuilder,
      events: (signal: AbortSignal) => AsyncIterable<RunEvent>,
      onResult: (result: RunResult) => Promise<void>
    ) {
      if (running(owner) >= maxPerOwner || running() >= max) {
        throw new QueueFullError('Too many background responses are running; wait for one to end')
      }
      const run: Run = {
        owner,
        builder,
        events: [],
        done: false,
        cancelled: false,
        controller: new AbortController(),
        waiters: new Set(),
      }
      runs.set(id, run)
      push(run, builder.start())
      run.task = (async () => {
        try {
          for await (const event of events(run.controller.signal)) {
            if (event.type !== 'result') {
              push(run, builder.event(event))
              continue
            }
            push(run, builder.finish(event.result))
            // Kept for previous_response_id; a store that fails does not fail the response.
            await onResult(event.result).catch(() => {})
          }
        } catch (error) {
          push(run, run.cancelled ? builder.cancelled() : builder.failed(toClaudeError(error)))
        } finally {
          run.done = true
          push(run, [])
          const forget = setTimeout(() => runs.delete(id), keepMs)
          // Node: a finished run must not keep the process alive (Workers' timers have no unref).
          ;(forget as { unref?: () => void }).unref?.()
        }
      })()
      return run.task
    },
    /** The run, if it is this key's and still known. */
    get: (id: string, owner: string) => {
      const run = runs.get(id)
      return run?.owner === owner ? run : undefined
    },
    /** Its events after `after` (a sequence number), then the new ones as they come, to its end. */
    async *follow(run: Run, after: number, signal: AbortSignal): AsyncGenerator<StreamEvent> {
      let next = Math.max(0, after + 1)
      while (!signal.aborted) {
        while (next < run.events.length) yield run.events[next++] as StreamEvent
        if (run.done) return
        await new Promise<void>((resolve) => {
          const wake = () => {
            run.waiters.delete(wake)
            resolve()
          }
          run.waiters.add(wake)
          signal.addEventListener('abort', wake, { once: true })
        })
      }
    },
    /** Stops the run; settles once it has ended. */
    async cancel(run: Run) {
      if (run.done) return
      run.cancelled = true
      run.controller.abort()
      await run.task
    },
  }
}

export type BackgroundRuns = ReturnType<typeof createBackgroundRuns>
