/**
 * What a front door knows of one runner host, and how it learns it: a failure to reach it marks
 * it down at once (since when, and why); a health check (`GET /runner/v1/health`) brings it back
 * and says whether it drains, how busy it is and which of Claude Code's tools it allows. One
 * check per host at a time; the probe checks them all every few seconds where timers may run.
 */
import * as v from 'valibot'
import { Health } from '../../contract/runner-protocol.js'
import { createQuotaGate, type QuotaGate } from '../../run/quota.js'
import { hostTag } from './tool-routing.js'

export type Host = {
  url: string
  tag: string
  quota: QuotaGate
  up: boolean
  /** It said it is shutting down: it finishes its runs and takes no new one. */
  draining: boolean
  /** When it last went up or down (ms since the epoch). */
  since: number
  /** A host marked down is not checked again before this (when no probe runs). */
  retryAt: number
  lastError?: { message: string; at: number }
  /** As its last health check said. */
  running: number
  queued: number
  /** Claude Code's own tools its runs may allow, once a health check said. */
  tools?: readonly string[]
  /** Runs that moved to another host because this one failed before any event. */
  failovers: number
  /** Runs cut off on it mid-way (it died, broke off or stalled). */
  lost: number
  /** A health check in flight. */
  checking?: Promise<boolean>
}

export const newHost = (raw: string): Host => {
  const url = raw.replace(/\/+$/, '')
  return {
    url,
    tag: hostTag(url),
    quota: createQuotaGate(),
    up: true,
    draining: false,
    since: Date.now(),
    retryAt: 0,
    running: 0,
    queued: 0,
    failovers: 0,
    lost: 0,
  }
}

const messageOf = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  const message = error instanceof Error ? error.message : String(error)
  return cause?.code ? `${message} (${cause.code})` : message
}

export const createHealthChecks = ({
  get,
  retryDownAfterMs,
}: {
  /** A JSON GET of the host's, within the health check's timeout. */
  get: (host: Host, path: string) => Promise<unknown>
  retryDownAfterMs: number
}) => {
  const markDown = (host: Host, cause?: unknown) => {
    if (host.up) host.since = Date.now()
    host.up = false
    host.retryAt = Date.now() + retryDownAfterMs
    if (cause !== undefined) host.lastError = { message: messageOf(cause), at: Date.now() }
  }
  const heard = (host: Host, answer: unknown) => {
    if (!host.up) host.since = Date.now()
    host.up = true
    const health = v.safeParse(Health, answer)
    if (health.success) {
      host.draining = health.output.status === 'draining'
      host.tools = health.output.tools ?? []
      host.running = health.output.capacity?.running ?? 0
      host.queued = health.output.capacity?.queued ?? 0
    }
    return !host.draining
  }
  /** Asks the host how it is (one check at a time); true when it takes new runs. */
  const check = (host: Host): Promise<boolean> =>
    (host.checking ??= get(host, '/runner/v1/health')
      .then(
        (answer) => heard(host, answer),
        (error) => {
          markDown(host, error)
          return false
        }
      )
      .finally(() => {
        host.checking = undefined
      }))
  return {
    markDown,
    check,
    /** Checks every host every `everyMs` until the returned function is called. */
    startProbe(hosts: Host[], everyMs: number) {
      let probing = false
      const timer = setInterval(() => {
        if (probing) return
        probing = true
        void Promise.all(hosts.map(check)).finally(() => (probing = false))
      }, everyMs)
      // Node: the probe must not keep the process alive.
      ;(timer as { unref?: () => void }).unref?.()
      return () => clearInterval(timer)
    },
  }
}
