import type { Clock } from '../../src/lib/clock.js'

type MovableClock = Clock & { advance(ms: number): void }

/** A clock that moves only when told: starts at the real time, `advance` moves it on. */
export const createFakeClock = (start = Date.now()): MovableClock => {
  let now = start
  return {
    now: () => now,
    advance: (ms) => {
      now += ms
    },
  }
}

/**
 * The real time, moved on by what `advance` adds: for a whole server, whose other timers run in
 * real time, when a test must jump past an interval or a lifetime instead of sleeping through it.
 */
export const createShiftedClock = (): MovableClock => {
  let shift = 0
  return {
    now: () => Date.now() + shift,
    advance: (ms) => {
      shift += ms
    },
  }
}
