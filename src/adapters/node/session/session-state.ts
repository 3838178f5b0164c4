/**
 * Where a CLI process is in its life, and the only moves it may make: the table below is the
 * whole lifecycle of a session (cli-session.ts), checked on every move.
 */
import { CliProtocolError } from '../../../errors/index.js'

export type SessionState =
  /** Started, `initialize` not sent yet: may serve any run of its shape. */
  | 'fresh'
  /** Reset after a run: waits in the pool for its tenant's next run. */
  | 'idle'
  /** Serving a run. */
  | 'running'
  /** Its run waits for the client's tool results (run/parking.ts). */
  | 'parked'
  /** Its conversation's turn is over: waits for the next (pool/held-conversations.ts). */
  | 'holding'
  /** `/clear` sent, waiting for the proof of a new conversation. */
  | 'resetting'
  /** Stopped (or exited), its directory cleaned up: the end. */
  | 'stopped'

const NEXT: Record<SessionState, readonly SessionState[]> = {
  fresh: ['running', 'stopped'],
  idle: ['running', 'stopped'],
  running: ['parked', 'holding', 'resetting', 'stopped'],
  holding: ['running', 'resetting', 'stopped'],
  parked: ['running', 'stopped'],
  resetting: ['idle', 'stopped'],
  stopped: [],
}

export const createSessionState = () => {
  let state: SessionState = 'fresh'
  return {
    get current() {
      return state
    },
    /** Changes state; `from`, when given, narrows where this step may start. */
    move(to: SessionState, from: readonly SessionState[] = []) {
      if (!NEXT[state].includes(to) || (from.length > 0 && !from.includes(state))) {
        throw new CliProtocolError(`A CLI process cannot go from ${state} to ${to}`)
      }
      state = to
    },
    /** Stopping is allowed from anywhere, and final. */
    end() {
      state = 'stopped'
    },
  }
}
