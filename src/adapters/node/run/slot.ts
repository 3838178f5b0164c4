/**
 * A run's place among the running: a slot now, or a place in the fair queue first (announced
 * with a `queued` event). A run stopped while it waits gives its place up, and a slot granted
 * in that very moment back.
 */

import type { RunEvent } from '../../../contract/runner.js'
import type { Capacity, Release } from '../../../run/capacity.js'

export async function* takeSlot(
  capacity: Capacity,
  signal: AbortSignal,
  owner: string | undefined
): AsyncGenerator<RunEvent, Release> {
  const wait = new AbortController()
  const onAbort = () => wait.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  let granted: Release | undefined
  try {
    const admission = capacity.admit(wait.signal, owner)
    if (!admission.queued) {
      granted = admission.release
      return granted
    }
    try {
      yield { type: 'queued', position: admission.position }
      granted = await admission.ready
      return granted
    } finally {
      if (!granted) {
        wait.abort()
        admission.ready.then(
          (release) => release(),
          () => {}
        )
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
