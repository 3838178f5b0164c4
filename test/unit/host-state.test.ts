/** A runner host's state has one owner and a table: what each event does in each phase. */
import { describe, expect, it } from 'vitest'
import {
  createHost,
  HOST_TRANSITIONS,
  type HostEvent,
  type HostPhase,
} from '../../src/adapters/remote/host-state.js'

/** A host brought to `phase` by the events that lead there. */
const hostIn = (phase: HostPhase) => {
  const host = createHost('http://10.0.0.5:7743/', { retryDownAfterMs: 10_000 })
  if (phase === 'down') host.fail(new Error('refused'))
  if (phase === 'draining') host.heard('draining')
  return host
}

const apply = (host: ReturnType<typeof hostIn>, event: HostEvent) => {
  if (event === 'failed') host.fail(new Error('gone'))
  else if (event === 'healthy') host.heard('ok', { running: 1, queued: 2, tools: ['Read'] })
  else host.refusedDraining()
}

describe('a runner host', () => {
  it('moves as its table says, for every phase and event', () => {
    for (const [phase, events] of Object.entries(HOST_TRANSITIONS)) {
      for (const [event, next] of Object.entries(events)) {
        const host = hostIn(phase as HostPhase)
        expect(host.phase, `${phase} before ${event}`).toBe(phase)
        apply(host, event as HostEvent)
        expect(host.phase, `${phase} + ${event}`).toBe(next)
        expect(host.up).toBe(next !== 'down')
        expect(host.draining).toBe(next === 'draining')
      }
    }
  })

  it('keeps why and since when it went down, and when to check it again', () => {
    const host = hostIn('up')
    expect(host.url).toBe('http://10.0.0.5:7743')
    const before = host.since
    host.fail(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))
    expect(host.lastError?.message).toBe('fetch failed (ECONNREFUSED)')
    expect(host.since).toBeGreaterThanOrEqual(before)
    expect(host.retryDue(host.retryAt - 1)).toBe(false)
    expect(host.retryDue(host.retryAt)).toBe(true)
    // Once due, the next check waits the retry time again.
    expect(host.retryDue(host.retryAt - 1)).toBe(false)
  })

  it('takes its load and tools from a health check, and counts what it cost runs', () => {
    const host = hostIn('down')
    host.heard('ok', { running: 3, queued: 1, tools: ['Read', 'Bash'] })
    expect([host.up, host.running, host.queued, host.tools]).toEqual([true, 3, 1, ['Read', 'Bash']])
    host.reportLoad(0, 0)
    host.failedOver()
    host.lostRun()
    host.lostRun()
    expect([host.running, host.failovers, host.lost]).toEqual([0, 1, 2])
  })
})
