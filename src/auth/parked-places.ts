/**
 * The key's place of a run that waits for the client's tool results: still in flight (its CLI
 * process waits, and counts against the key's `max_concurrent` and budget), until the follow-up
 * carrying the results takes the place over, or the wait ends. Front doors that share a store
 * (`SharedParking`) also find a place another one holds, and take it over there (`adopt`), so a
 * follow-up through any of them continues in the run's one place.
 */
import type { Release } from '../usage/store.js'

export type ParkedPlaces = ReturnType<typeof createParkedPlaces>

/** Waiting runs' places by tool call, where front doors share them (PostgreSQL). */
export type SharedParking = {
  park(owner: string, calls: readonly string[], handle: string, ttlMs: number): Promise<void>
  /** The handle of the place these calls wait in (no longer parked from now on), if any. */
  claim(owner: string, calls: readonly string[]): Promise<string | undefined>
}

export type ParkingShare = {
  parking: SharedParking
  /** The usage store's `adopt`: the place, released from this front door from now on. */
  adopt(handle: string): Promise<Release | undefined>
}

/** A run's place: its release, and its handle where front doors share places. */
export type Place = { release: Release; handle?: string }

export const createParkedPlaces = (ttlMs = 300_000, share?: ParkingShare) => {
  const held = new Map<
    string,
    { place: Place; calls: string[]; timer: ReturnType<typeof setTimeout> }
  >()
  const keyOf = (owner: string, call: string) => `${owner}\n${call}`

  const drop = (owner: string, calls: readonly string[]) => {
    for (const call of calls) held.delete(keyOf(owner, call))
  }

  return {
    /** Keeps the place of a run that parked on these tool calls. */
    async hold(owner: string, calls: readonly string[], place: Place) {
      const timer = setTimeout(() => {
        drop(owner, calls)
        void place.release()
      }, ttlMs)
      // Node: a waiting place must not keep the process alive (Workers' timers have no unref).
      ;(timer as { unref?: () => void }).unref?.()
      const entry = { place, calls: [...calls], timer }
      for (const call of calls) held.set(keyOf(owner, call), entry)
      // Another front door finds it there; if that fails, only this one does.
      if (share && place.handle) {
        await share.parking.park(owner, calls, place.handle, ttlMs).catch(() => {})
      }
    },
    /** The place of the run these results answer, taken over by the follow-up; or undefined. */
    async take(owner: string, calls: readonly string[]): Promise<Place | undefined> {
      const entry = calls.map((call) => held.get(keyOf(owner, call))).find(Boolean)
      if (entry) {
        clearTimeout(entry.timer)
        drop(owner, entry.calls)
        // Held here: the shared record only has to go, and the follow-up need not wait for it.
        void share?.parking.claim(owner, calls).catch(() => {})
        return entry.place
      }
      const shared = share && (await share.parking.claim(owner, calls).catch(() => undefined))
      if (!share || !shared) return undefined
      const release = await share.adopt(shared)
      return release && { release, handle: shared }
    },
  }
}
