/**
 * A concurrency cap with a bounded FIFO wait queue. Runtime-agnostic: the Node runner puts its
 * CLI processes behind it.
 */
import { QueueFullError } from '../errors.js'
import type { CapacityStatus } from '../runner.js'

export type CapacityOptions = {
  maxConcurrency: number
  maxQueue: number
}

export type Release = () => void

type Waiter = { grant: (release: Release) => void }

export type Admission =
  | { queued: false; release: Release }
  | {
      queued: true
      position: number
      /** Resolves once a slot is free; rejects with the signal's reason if it aborts first. */
      ready: Promise<Release>
    }

export type Capacity = {
  /** Takes a slot now, or a place in the queue; throws `QueueFullError` when both are full. */
  admit(signal?: AbortSignal): Admission
  status(): CapacityStatus
}

export const createCapacity = ({ maxConcurrency, maxQueue }: CapacityOptions): Capacity => {
  let running = 0
  const queue: Waiter[] = []
  // Average run time, to tell rejected clients how long to wait.
  let averageMs = 5_000

  const makeRelease = (): Release => {
    const startedAt = Date.now()
    let released = false
    return () => {
      if (released) return
      released = true
      averageMs = averageMs * 0.8 + (Date.now() - startedAt) * 0.2
      const next = queue.shift()
      if (next) next.grant(makeRelease())
      else running--
    }
  }

  return {
    admit(signal) {
      signal?.throwIfAborted()
      if (running < maxConcurrency) {
        running++
        return { queued: false, release: makeRelease() }
      }
      if (queue.length >= maxQueue) {
        const waitSeconds = Math.ceil(((queue.length / maxConcurrency + 1) * averageMs) / 1000)
        throw new QueueFullError(
          `The server is at capacity (${maxConcurrency} running, ${queue.length} waiting); try again later`,
          { retryAfter: Math.max(1, waitSeconds) }
        )
      }
      let waiter!: Waiter
      const ready = new Promise<Release>((resolve, reject) => {
        const onAbort = () => {
          const index = queue.indexOf(waiter)
          if (index !== -1) queue.splice(index, 1)
          reject(signal?.reason)
        }
        waiter = {
          grant: (release) => {
            signal?.removeEventListener('abort', onAbort)
            resolve(release)
          },
        }
        signal?.addEventListener('abort', onAbort, { once: true })
      })
      queue.push(waiter)
      return { queued: true, position: queue.length, ready }
    },
    status: () => ({
      max_concurrency: maxConcurrency,
      running,
      queued: queue.length,
      max_queue: maxQueue,
    }),
  }
}
