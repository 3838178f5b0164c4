/**
 * A concurrency cap with a bounded wait queue, fair between callers. Runtime-agnostic: the Node
 * runner puts its CLI processes behind it.
 * - A named caller (an API key) runs at most `maxPerCaller` at once, so one key flooding the
 *   server always leaves a slot for another key's next run; unnamed callers (a server without
 *   keys: one user) may use every slot.
 * - Each caller (an API key) has its own FIFO queue; a freed slot goes to the next caller in
 *   turn, so one busy key cannot make the others wait behind all of its runs.
 * - When the queue is full, a caller with fewer places takes the newest place of the caller with
 *   the most (that run is refused as if the queue had been full), so one key cannot shut the
 *   others out; alone, a caller may use the whole queue.
 */

import type { CapacityStatus } from '../contract/runner.js'
import { QueueFullError } from '../errors/index.js'

export type CapacityOptions = {
  maxConcurrency: number
  maxQueue: number
  /** Slots one named caller may hold at once. Default: every slot. */
  maxPerCaller?: number
}

export type Release = () => void

type Waiter = { grant: (release: Release) => void; refuse: (error: QueueFullError) => void }

export type Admission =
  | { queued: false; release: Release }
  | {
      queued: true
      position: number
      /** Resolves once a slot is free; rejects with the signal's reason if it aborts first. */
      ready: Promise<Release>
    }

export type Capacity = {
  /**
   * Takes a slot now, or a place in the queue; throws `QueueFullError` when both are full.
   * `caller` (e.g. an API key's hash) is whom fairness is between.
   */
  admit(signal?: AbortSignal, caller?: string): Admission
  status(): CapacityStatus
}

export const createCapacity = ({
  maxConcurrency,
  maxQueue,
  maxPerCaller = maxConcurrency,
}: CapacityOptions): Capacity => {
  let running = 0
  /** Slots held per named caller. */
  const held = new Map<string, number>()
  const holds = (caller: string) => held.get(caller) ?? 0
  const mayRun = (caller: string) => caller === '' || holds(caller) < maxPerCaller
  let queued = 0
  // Insertion order is the turn order; a caller with no waiters is removed.
  const queues = new Map<string, Waiter[]>()
  let lastServed: string | undefined
  // Average run time, to tell rejected clients how long to wait.
  let averageMs = 5_000

  const queueFull = () => {
    const waitSeconds = Math.ceil(((queued / maxConcurrency + 1) * averageMs) / 1000)
    return new QueueFullError(
      `The server is at capacity (${maxConcurrency} running, ${queued} waiting); try again later`,
      { retryAfter: Math.max(1, waitSeconds) }
    )
  }

  const remove = (caller: string, waiter: Waiter) => {
    const queue = queues.get(caller)
    const index = queue?.indexOf(waiter) ?? -1
    if (!queue || index === -1) return false
    queue.splice(index, 1)
    queued--
    if (queue.length === 0) queues.delete(caller)
    return true
  }

  /** The first waiter of the caller after the one served last, in turn order, that may run. */
  const nextWaiter = (): { caller: string; waiter: Waiter } | undefined => {
    const callers = [...queues.keys()]
    const after = lastServed === undefined ? -1 : callers.indexOf(lastServed)
    for (let i = 1; i <= callers.length; i++) {
      const caller = callers[(after + i) % callers.length] as string
      const waiter = queues.get(caller)?.[0]
      if (!waiter || !mayRun(caller)) continue
      remove(caller, waiter)
      return { caller, waiter }
    }
    return undefined
  }

  /** A slot for `caller`, and the way to give it back (once). */
  const take = (caller: string): Release => {
    running++
    if (caller !== '') held.set(caller, holds(caller) + 1)
    lastServed = caller
    const startedAt = Date.now()
    let released = false
    return () => {
      if (released) return
      released = true
      averageMs = averageMs * 0.8 + (Date.now() - startedAt) * 0.2
      running--
      if (caller !== '') {
        if (holds(caller) <= 1) held.delete(caller)
        else held.set(caller, holds(caller) - 1)
      }
      // Free slots go to the waiters in turn; a caller at its share waits for its own runs.
      for (
        let next = nextWaiter();
        next;
        next = running < maxConcurrency ? nextWaiter() : undefined
      ) {
        next.waiter.grant(take(next.caller))
      }
    }
  }

  /** Frees a place for `caller` from whoever holds the most, if that is more than it holds. */
  const makeRoom = (caller: string) => {
    const mine = queues.get(caller)?.length ?? 0
    let richest: [string, Waiter[]] | undefined
    for (const entry of queues) if (!richest || entry[1].length > richest[1].length) richest = entry
    if (!richest || richest[0] === caller || richest[1].length <= mine + 1) return false
    const newest = richest[1].at(-1) as Waiter
    remove(richest[0], newest)
    newest.refuse(queueFull())
    return true
  }

  return {
    admit(signal, caller = '') {
      signal?.throwIfAborted()
      if (running < maxConcurrency && mayRun(caller))
        return { queued: false, release: take(caller) }
      if (queued >= maxQueue && !makeRoom(caller)) throw queueFull()
      let waiter!: Waiter
      const ready = new Promise<Release>((resolve, reject) => {
        const onAbort = () => {
          if (remove(caller, waiter)) reject(signal?.reason)
        }
        waiter = {
          grant: (release) => {
            signal?.removeEventListener('abort', onAbort)
            resolve(release)
          },
          refuse: (error) => {
            signal?.removeEventListener('abort', onAbort)
            reject(error)
          },
        }
        signal?.addEventListener('abort', onAbort, { once: true })
      })
      const queue = queues.get(caller) ?? []
      queue.push(waiter)
      queues.set(caller, queue)
      queued++
      return { queued: true, position: queued, ready }
    },
    status: () => ({ max_concurrency: maxConcurrency, running, queued, max_queue: maxQueue }),
  }
}
