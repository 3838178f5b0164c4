/**
 * One runner host as a front door knows it, with one owner: the host's phase changes only by the
 * table below, through the few things that can happen to it, and everything else reads it.
 *
 *   phase \ event   failed      healthy     draining
 *   up              down        up          draining
 *   draining        down        up          draining
 *   down            down        up          draining
 *
 * `failed`: it could not be reached, answered wrongly, or went silent (why is kept, and since
 * when it is down); `healthy`: a health check said `ok`; `draining`: it said it is shutting down
 * (a health check, or a refusal with `host_draining`) and takes no new run, but answers.
 */
import { createQuotaGate, type QuotaGate } from '../../run/quota.js'
import { hostTag } from './tool-routing.js'

export type HostPhase = 'up' | 'draining' | 'down'
export type HostEvent = 'failed' | 'healthy' | 'draining'

export const HOST_TRANSITIONS: Record<HostPhase, Record<HostEvent, HostPhase>> = {
  up: { failed: 'down', healthy: 'up', draining: 'draining' },
  draining: { failed: 'down', healthy: 'up', draining: 'draining' },
  down: { failed: 'down', healthy: 'up', draining: 'draining' },
}

/** What a health check says of the host's load and tools. */
export type HostReport = { running?: number; queued?: number; tools?: readonly string[] }

const messageOf = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  const message = error instanceof Error ? error.message : String(error)
  return cause?.code ? `${message} (${cause.code})` : message
}

export type Host = ReturnType<typeof createHost>

export const createHost = (raw: string, { retryDownAfterMs }: { retryDownAfterMs: number }) => {
  const url = raw.replace(/\/+$/, '')
  let phase: HostPhase = 'up'
  /** When it last went up or down (ms since the epoch). */
  let since = Date.now()
  /** A host that is down is not checked again before this (when no probe runs). */
  let retryAt = 0
  let lastError: { message: string; at: number } | undefined
  let load = { running: 0, queued: 0 }
  let tools: readonly string[] | undefined
  const counts = { failovers: 0, lost: 0 }

  const move = (event: HostEvent) => {
    const next = HOST_TRANSITIONS[phase][event]
    // Up and draining are both reachable: "since" marks reaching it, or losing it.
    if ((next === 'down') !== (phase === 'down')) since = Date.now()
    phase = next
  }

  return {
    url,
    tag: hostTag(url),
    quota: createQuotaGate() as QuotaGate,
    /** A health check in flight (host-health.ts keeps it, one at a time). */
    checking: undefined as Promise<boolean> | undefined,
    get phase() {
      return phase
    },
    /** Reachable, as the last run or health check found it (draining hosts are reachable). */
    get up() {
      return phase !== 'down'
    },
    get draining() {
      return phase === 'draining'
    },
    get since() {
      return since
    },
    get retryAt() {
      return retryAt
    },
    get lastError() {
      return lastError
    },
    get running() {
      return load.running
    },
    get queued() {
      return load.queued
    },
    /** Claude Code's own tools its runs may allow, once a health check said. */
    get tools() {
      return tools
    },
    /** Runs that moved to another host because this one failed before any event. */
    get failovers() {
      return counts.failovers
    },
    /** Runs cut off on it mid-way (it died, broke off or stalled). */
    get lost() {
      return counts.lost
    },
    /** It failed: down now (since when, and why), checked again after the retry time. */
    fail(cause?: unknown) {
      move('failed')
      retryAt = Date.now() + retryDownAfterMs
      if (cause !== undefined) lastError = { message: messageOf(cause), at: Date.now() }
    },
    /** A health check answered: `ok` or `draining`, with the load and tools it reports. */
    heard(status: 'ok' | 'draining', report: HostReport = {}) {
      move(status === 'ok' ? 'healthy' : 'draining')
      load = { running: report.running ?? 0, queued: report.queued ?? 0 }
      if (report.tools) tools = report.tools
    },
    /** A run was refused with `host_draining`: it answers, but takes no new run. */
    refusedDraining() {
      move('draining')
    },
    /** Its status said how busy it is (between health checks). */
    reportLoad(running: number, queued: number) {
      load = { running, queued }
    },
    /** A check of a down host is due (or was just started): the next waits the retry time. */
    retryDue(now = Date.now()) {
      if (phase !== 'down' || retryAt > now) return false
      retryAt = now + retryDownAfterMs
      return true
    },
    failedOver() {
      counts.failovers++
    },
    lostRun() {
      counts.lost++
    },
  }
}
