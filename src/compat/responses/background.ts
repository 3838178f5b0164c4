/**
 * Background responses (`background: true`): the run goes on without its client. Every event it
 * streams is kept in a log (background-log.ts), numbered, so a client that lost its connection
 * follows again from `starting_after` without gaps or duplicates, from whichever process or
 * isolate it reaches; `cancel` asks the run to stop, and the one driving it stops it.
 */

import type { RunEvent, RunResult } from '../../contract/runner.js'
import { NotFoundError } from '../../errors/index.js'
import { toClaudeError } from '../../http/errors.js'
import { type BackgroundLog, createMemoryBackgroundLog, type Snapshot } from './background-log.js'
import type { StreamEvent } from './output-items.js'
import type { ResponseBuilder } from './response.js'

/** How long one read or watch of the log waits before it is made again. */
const WAIT_MS = 20_000

export type BackgroundOptions = {
  /** Events kept per run; beyond it the run is stopped (a stream that big is not a chat). */
  maxEvents?: number
}

/** Appends in order, one write at a time, each taking every event waiting then. */
const createAppender = (log: BackgroundLog, id: string, builder: ResponseBuilder) => {
  let pending: StreamEvent[] = []
  let ending = false
  let writing: Promise<void> = Promise.resolve()
  const flush = () => {
    writing = writing.then(async () => {
      if (pending.length === 0 && !ending) return
      const events = pending
      pending = []
      // A log that cannot be written loses those events, never the run.
      await log.append(id, events, builder.current(), ending).catch(() => {})
    })
    return writing
  }
  return {
    push(events: StreamEvent[]) {
      if (events.length === 0) return
      pending.push(...events)
      void flush()
    },
    end() {
      ending = true
      return flush()
    },
  }
}

export const createBackgroundRuns = (
  log: BackgroundLog = createMemoryBackgroundLog(),
  { maxEvents = 50_000 }: BackgroundOptions = {}
) => {
  /** Aborts `controller` once the run is asked to stop, until `signal` aborts. */
  const watch = async (id: string, controller: AbortController, signal: AbortSignal) => {
    while (!signal.aborted) {
      if (await log.stopped(id, WAIT_MS, signal).catch(() => false)) {
        controller.abort()
        return
      }
    }
  }

  return {
    /**
     * Keeps the new run (refused beyond the bounds), then drives it; the returned task settles
     * once it has ended and its last event is kept.
     */
    async start(
      id: string,
      owner: string,
      builder: ResponseBuilder,
      events: (signal: AbortSignal) => AsyncIterable<RunEvent>,
      onResult: (result: RunResult) => Promise<void>
    ): Promise<{ task: Promise<void> }> {
      await log.open(id, owner, builder.start(), builder.current())
      const controller = new AbortController()
      const watching = new AbortController()
      void watch(id, controller, watching.signal)
      const out = createAppender(log, id, builder)
      let count = 0
      const push = (frames: StreamEvent[]) => {
        count += frames.length
        if (count > maxEvents) controller.abort()
        out.push(frames)
      }
      const task = (async () => {
        try {
          for await (const event of events(controller.signal)) {
            if (event.type !== 'result') {
              push(builder.event(event))
              continue
            }
            push(builder.finish(event.result))
            // Kept for previous_response_id; a store that fails does not fail the response.
            await onResult(event.result).catch(() => {})
          }
        } catch (error) {
          const stopped = controller.signal.aborted && count <= maxEvents
          push(stopped ? builder.cancelled() : builder.failed(toClaudeError(error)))
        } finally {
          watching.abort()
          await out.end()
        }
      })()
      return { task }
    },
    /** The response as it stands, if it is this key's background run and still known. */
    get: (id: string, owner: string): Promise<Snapshot | undefined> => log.snapshot(id, owner),
    /** Its events after `after` (a sequence number), then the new ones as they come, to its end. */
    async *follow(
      id: string,
      owner: string,
      after: number,
      signal: AbortSignal
    ): AsyncGenerator<StreamEvent> {
      let last = after
      while (!signal.aborted) {
        const read = await log.read(id, owner, last, WAIT_MS, signal)
        if (!read) return
        for (const event of read.events) {
          yield event
          last = event.sequence_number
        }
        if (read.done) return
      }
    },
    /** Stops the run; the response once it has ended. */
    async cancel(id: string, owner: string): Promise<Snapshot> {
      const notFound = () =>
        new NotFoundError(`No background response '${id}' (only those can be cancelled)`)
      const known = await log.snapshot(id, owner)
      if (!known) throw notFound()
      if (await log.stop(id, owner)) {
        for await (const _ of this.follow(
          id,
          owner,
          Number.MAX_SAFE_INTEGER,
          AbortSignal.timeout(60_000)
        )) {
          // Waits for the end: events after the last are none.
        }
      }
      return (await log.snapshot(id, owner)) ?? known
    },
  }
}

export type BackgroundRuns = ReturnType<typeof createBackgroundRuns>
