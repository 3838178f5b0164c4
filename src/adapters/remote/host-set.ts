/**
 * The runner hosts a remote runner forwards to, and what it knows of each: up or down (since
 * when, and why), draining, how busy its last health check said it was, its login's quota, and
 * how many runs moved off it or were lost on it. A failure to reach a host marks it down at once;
 * a health check brings it back: the probe (every few seconds where timers may run, the Node
 * front door), or, where none runs, a check once its retry time has come and no host that is up
 * could take the run. No run ever waits on a host known to be down.
 */
import * as v from 'valibot'
import { type ClaudeError, RateLimitedError, RunnerUnavailableError } from '../../errors/index.js'
import { errorFromResponse } from '../../http/error-body.js'
import { createQuotaGate, type QuotaGate, quotaError } from '../../run/quota.js'
import type { Quota } from '../../runner.js'
import { Health, RUNNER_PROTOCOL, RUNNER_PROTOCOL_HEADER } from '../../runner-protocol/protocol.js'
import { assertPrivateOrHttps } from './host-checks.js'
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

export type HostSetOptions = {
  urls: string[]
  token?: string
  fetch: typeof fetch
  retryDownAfterMs: number
  healthTimeoutMs: number
}

/** What a host's refusal says of its login, until its own report arrives. */
export const rejectedUntil = (error: ClaudeError): Quota => ({
  status: 'rejected',
  window: null,
  resets_at:
    error instanceof RateLimitedError && error.resetAt ? error.resetAt.toISOString() : null,
  overage_status: null,
  overage_disabled_reason: null,
  using_overage: false,
  windows: {},
  seen_at: new Date().toISOString(),
})

export type HostSet = ReturnType<typeof createHostSet>

const messageOf = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  const message = error instanceof Error ? error.message : String(error)
  return cause?.code ? `${message} (${cause.code})` : message
}

export const createHostSet = (options: HostSetOptions) => {
  const { token, fetch: fetchImpl, retryDownAfterMs, healthTimeoutMs } = options
  for (const url of options.urls) assertPrivateOrHttps(url)
  const hosts: Host[] = options.urls.map((raw) => {
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
  })
  let next = 0

  const headers = (json = false): Record<string, string> => ({
    [RUNNER_PROTOCOL_HEADER]: String(RUNNER_PROTOCOL),
    ...(token && { authorization: `Bearer ${token}` }),
    ...(json && { 'content-type': 'application/json' }),
  })
  const markDown = (host: Host, cause?: unknown) => {
    if (host.up) host.since = Date.now()
    host.up = false
    host.retryAt = Date.now() + retryDownAfterMs
    if (cause !== undefined) host.lastError = { message: messageOf(cause), at: Date.now() }
  }
  const markUp = (host: Host) => {
    if (!host.up) host.since = Date.now()
    host.up = true
  }
  const get = async (host: Host, path: string, timeoutMs = healthTimeoutMs) => {
    const response = await fetchImpl(`${host.url}${path}`, {
      headers: headers(),
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!response.ok) throw await errorFromResponse(response)
    return response.json()
  }
  /** Asks the host how it is (one check at a time); true when it takes new runs. */
  const check = (host: Host): Promise<boolean> =>
    (host.checking ??= ask(host).finally(() => {
      host.checking = undefined
    }))
  const ask = (host: Host) =>
    get(host, '/runner/v1/health').then(
      (answer) => {
        markUp(host)
        const health = v.safeParse(Health, answer)
        if (health.success) {
          host.draining = health.output.status === 'draining'
          host.tools = health.output.tools ?? []
          host.running = health.output.capacity?.running ?? 0
          host.queued = health.output.capacity?.queued ?? 0
        }
        return !host.draining
      },
      (error) => {
        markDown(host, error)
        return false
      }
    )
  const takesRuns = (host: Host, forRun: boolean) =>
    host.up && !host.draining && (!forRun || host.quota.admits())

  /** Seconds to wait before a host marked down is tried again. */
  const retryAfter = Math.ceil(retryDownAfterMs / 1000)

  return {
    hosts,
    retryAfter,
    headers,
    get,
    markDown,
    check,
    byTag: (tag: string) => hosts.find((h) => h.tag === tag),
    /** Checks every host now (what the probe does). */
    probe: () => Promise.all(hosts.map(check)),
    /** Checks every host every `everyMs` until the returned function is called. */
    startProbe(everyMs: number) {
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
    /**
     * The hosts a run may go to, starting after the last one used: those up (and, `forRun`,
     * with quota left); then, as a last resort, those down being checked again (a down host is
     * checked once its retry time has come, without the run waiting for it meanwhile).
     */
    async *candidates(forRun = false): AsyncGenerator<Host> {
      const start = next++ % hosts.length
      const order = hosts.map((_, i) => hosts[(start + i) % hosts.length] as Host)
      for (const host of order) {
        if (!host.up && host.retryAt <= Date.now()) {
          host.retryAt = Date.now() + retryDownAfterMs
          void check(host)
        }
      }
      for (const host of order) if (takesRuns(host, forRun)) yield host
      for (const host of order) {
        if (host.up || !host.checking) continue
        if ((await host.checking) && takesRuns(host, forRun)) yield host
      }
    },
    /** The tools every host that is up allows (runs go to any); hosts not heard from are asked. */
    async tools(): Promise<readonly string[]> {
      await Promise.all(hosts.filter((h) => h.up && !h.tools).map(check))
      const known = hosts.flatMap((host) => (host.up && host.tools ? [host.tools] : []))
      return (known[0] ?? []).filter((tool) => known.every((tools) => tools.includes(tool)))
    },
    unavailable: (tried: number, cause?: unknown) =>
      new RunnerUnavailableError(
        tried === 0
          ? 'No runner host is available (all are down or draining); try again shortly'
          : `No runner host could take the run (tried ${tried})`,
        { cause, retryAfter }
      ),
    /** The refusal when every host's login is out of quota: the soonest reset. */
    allExhausted() {
      const known = hosts
        .map((host) => host.quota.current())
        .filter((q): q is Quota => q?.status === 'rejected')
        .sort((a, b) => (a.resets_at ?? '').localeCompare(b.resets_at ?? ''))
      return known[0] ? quotaError(known[0]) : undefined
    },
    /** The most recent report of any host (what response headers warn about). */
    latestQuota: () =>
      hosts
        .map((host) => host.quota.current())
        .filter((q): q is Quota => q !== undefined)
        .sort((a, b) => b.seen_at.localeCompare(a.seen_at))[0],
  }
}
