/**
 * The warm pool's waiting room: sessions ready for a run, each under its pool key, oldest first.
 * One unused for `idleMs`, or one whose process dies while it waits, leaves on its own.
 */
import type { CliSession } from '../session/cli-session.js'

type Waiting = { session: CliSession; key: string; timer: ReturnType<typeof setTimeout> }

export const createWaitingSessions = (idleMs: number) => {
  const waiting: Waiting[] = []
  let retired = 0

  const remove = (entry: Waiting) => {
    const index = waiting.indexOf(entry)
    if (index === -1) return false
    waiting.splice(index, 1)
    clearTimeout(entry.timer)
    return true
  }

  const retire = (entry: Waiting) => {
    if (remove(entry)) retired++
    return entry.session.stop()
  }

  return {
    get size() {
      return waiting.length
    },
    get retired() {
      return retired
    },
    add(session: CliSession, key: string) {
      const entry: Waiting = { session, key, timer: setTimeout(() => void retire(entry), idleMs) }
      entry.timer.unref?.()
      waiting.push(entry)
      // One that dies while waiting (a crash) is simply gone.
      void session.exited.then(() => {
        if (remove(entry)) retired++
      })
    },
    /** The oldest live session waiting under `key`, taken out of the room. */
    take(key: string) {
      const entry = waiting.find((w) => w.key === key && w.session.state !== 'stopped')
      if (entry) remove(entry)
      return entry?.session
    },
    /**
     * Makes room for one more when `room` places are left, stopping the oldest of another key if
     * need be; false: no room, or only sessions of this key to stop (replacing one with its like
     * would only burn a start-up's CPU).
     */
    makeRoom(key: string, room: number) {
      if (waiting.length < room) return true
      const oldest = waiting.find((w) => w.key !== key)
      if (!oldest) return false
      void retire(oldest)
      return true
    },
    retireAll: () => Promise.all([...waiting].map(retire)),
  }
}
