/**
 * Where a background response's events are kept while its run goes on, so any request can follow,
 * poll or stop it: in the server's memory here; at the edge, in the key's Durable Object
 * (runtime/worker/durable-background-log.ts), so another isolate finds the run it did not start.
 * Bounded: runs going on per key and in all; finished runs per key, in all, in time, and by the
 * memory budget they share with stored responses.
 */
import { QueueFullError } from '../../errors/index.js'
import { createHeldBudget, type HeldBudget, heldBytes } from '../../lib/held-budget.js'
import type { StreamEvent } from './output-items.js'

/** The response as it stands (its object, as `GET /v1/responses/{id}` answers it). */
export type Snapshot = Record<string, unknown>

export type BackgroundLog = {
  /** Keeps a new run with its first events; `QueueFullError` beyond the bounds. */
  open(id: string, owner: string, events: StreamEvent[], snapshot: Snapshot): Promise<void>
  /** Adds events and the response as it now stands; `done` ends the log. */
  append(id: string, events: StreamEvent[], snapshot: Snapshot, done: boolean): Promise<void>
  /**
   * The events after sequence `after`, waiting up to `waitMs` for one while there is none and the
   * run goes on; `done` once the last one is among them. Undefined: no such run of this owner.
   */
  read(
    id: string,
    owner: string,
    after: number,
    waitMs: number,
    signal?: AbortSignal
  ): Promise<{ events: StreamEvent[]; done: boolean } | undefined>
  snapshot(id: string, owner: string): Promise<Snapshot | undefined>
  /** Asks the run to stop; false when there is no such run going on. */
  stop(id: string, owner: string): Promise<boolean>
  /** Whether the run was asked to stop, waiting up to `waitMs` for it (the run's own watch). */
  stopped(id: string, waitMs: number, signal?: AbortSignal): Promise<boolean>
}

export type BackgroundLimits = {
  /** Runs going on, per key and in all. */
  maxPerOwner?: number
  max?: number
  /** How long a finished run's events can still be replayed. */
  keepMs?: number
  /** Finished runs kept per key (its oldest go first) and in all (the key with most loses one). */
  maxFinishedPerOwner?: number
  maxFinished?: number
  /** The memory budget finished runs share with stored responses (held-budget.ts). */
  held?: HeldBudget
}

export const BACKGROUND_LIMITS = {
  maxPerOwner: 8,
  max: 256,
  keepMs: 3600_000,
  maxFinishedPerOwner: 32,
  maxFinished: 1_024,
}

export const tooManyRunning = () =>
  new QueueFullError('Too many background responses are running; wait for one to end')

type Entry = {
  owner: string
  events: StreamEvent[]
  snapshot: Snapshot
  done: boolean
  stop: boolean
  /** Woken when an event is added or the run ends (its followers). */
  waiters: Set<() => void>
  /** Woken when it is asked to stop or ends (the run's own watch). */
  stopWaiters: Set<() => void>
}

/** Resolves when `wake` is called, `ms` pass or `signal` aborts. */
export const waitForWake = (waiters: Set<() => void>, ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      waiters.delete(done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    waiters.add(done)
    signal?.addEventListener('abort', done, { once: true })
  })

export const createMemoryBackgroundLog = ({
  maxPerOwner = BACKGROUND_LIMITS.maxPerOwner,
  max = BACKGROUND_LIMITS.max,
  keepMs = BACKGROUND_LIMITS.keepMs,
  maxFinishedPerOwner = BACKGROUND_LIMITS.maxFinishedPerOwner,
  maxFinished = BACKGROUND_LIMITS.maxFinished,
  held = createHeldBudget(),
}: BackgroundLimits = {}): BackgroundLog => {
  const entries = new Map<string, Entry>()
  /** How many finished runs are kept, per key and in all (one each). */
  const finished = createHeldBudget(maxFinished, maxFinishedPerOwner)
  const forget = (id: string) => {
    entries.delete(id)
    finished.release(id)
    held.release(`background:${id}`)
  }
  /** A run that ended is kept a while, within the counts and the memory budget. */
  const keep = (id: string, entry: Entry) => {
    const timer = setTimeout(() => forget(id), keepMs)
    // Node: a finished run must not keep the process alive.
    ;(timer as { unref?: () => void }).unref?.()
    finished.hold(id, entry.owner, 1, () => forget(id))
    if (entries.has(id)) {
      const bytes = heldBytes(entry.events) + heldBytes(entry.snapshot)
      held.hold(`background:${id}`, entry.owner, bytes, () => forget(id))
    }
  }
  const running = (owner?: string) =>
    [...entries.values()].filter((e) => !e.done && (owner === undefined || e.owner === owner))
      .length
  const mine = (id: string, owner: string) => {
    const entry = entries.get(id)
    return entry?.owner === owner ? entry : undefined
  }
  const wake = (waiters: Set<() => void>) => {
    for (const waiter of [...waiters]) waiter()
  }

  return {
    async open(id, owner, events, snapshot) {
      if (running(owner) >= maxPerOwner || running() >= max) throw tooManyRunning()
      entries.set(id, {
        owner,
        events,
        snapshot,
        done: false,
        stop: false,
        waiters: new Set(),
        stopWaiters: new Set(),
      })
    },
    async append(id, events, snapshot, done) {
      const entry = entries.get(id)
      if (!entry) return
      entry.events.push(...events)
      entry.snapshot = snapshot
      if (done && !entry.done) {
        entry.done = true
        keep(id, entry)
        wake(entry.stopWaiters)
      }
      wake(entry.waiters)
    },
    async read(id, owner, after, waitMs, signal) {
      const entry = mine(id, owner)
      if (!entry) return undefined
      const from = (n: number) => entry.events.findIndex((e) => e.sequence_number > n)
      if (from(after) < 0 && !entry.done) await waitForWake(entry.waiters, waitMs, signal)
      const start = from(after)
      return { events: start < 0 ? [] : entry.events.slice(start), done: entry.done }
    },
    snapshot: async (id, owner) => mine(id, owner)?.snapshot,
    async stop(id, owner) {
      const entry = mine(id, owner)
      if (!entry || entry.done) return false
      entry.stop = true
      wake(entry.stopWaiters)
      return true
    },
    async stopped(id, waitMs, signal) {
      const entry = entries.get(id)
      if (!entry) return false
      if (!entry.stop && !entry.done) await waitForWake(entry.stopWaiters, waitMs, signal)
      return entry.stop
    },
  }
}
