/**
 * The key's place of a run that waits for the client's tool results: still in flight (its CLI
 * process waits, and counts against the key's `max_concurrent` and budget), until the follow-up
 * carrying the results takes the place over, or the wait ends.
 */
import type { Release } from '../usage/store.js'

export type ParkedPlaces = ReturnType<typeof createParkedPlaces>

export const createParkedPlaces = (ttlMs = 300_000) => {
  const held = new Map<
    string,
    { release: Release; calls: string[]; timer: ReturnType<typeof setTimeout> }
  >()
  const keyOf = (owner: string, call: string) => `${owner}\n${call}`

  const drop = (owner: string, calls: readonly string[]) => {
    for (const call of calls) held.delete(keyOf(owner, call))
  }

  return {
    /** Keeps the place of a run that parked on these tool calls. */
    hold(owner: string, calls: readonly string[], release: Release) {
      const timer = setTimeout(() => {
        drop(owner, calls)
        void release()
      }, ttlMs)
      // Node: a waiting place must not keep the process alive (Workers' timers have no unref).
      ;(timer as { unref?: () => void }).unref?.()
      const entry = { release, calls: [...calls], timer }
      for (const call of calls) held.set(keyOf(owner, call), entry)
    },
    /** The place of the run these results answer, taken over by the follow-up; or undefined. */
    take(owner: string, calls: readonly string[]): Release | undefined {
      const entry = calls.map((call) => held.get(keyOf(owner, call))).find(Boolean)
      if (!entry) return undefined
      clearTimeout(entry.timer)
      drop(owner, entry.calls)
      return entry.release
    },
  }
}
