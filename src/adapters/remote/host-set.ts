/**
 * The runner hosts a remote runner forwards to (each as host-health.ts knows it) and which one a
 * run goes to: those up, in turn, with quota left on their login; a host marked down is checked
 * again once its retry time has come (in the background of a run; the Node front door's probe
 * does it anyway), and waited for only when no host that is up could take the run. No run ever
 * waits on a host known to be down.
 */

import type { Quota } from '../../contract/runner.js'
import { RUNNER_PROTOCOL, RUNNER_PROTOCOL_HEADER } from '../../contract/runner-protocol.js'
import { type ClaudeError, RateLimitedError, RunnerUnavailableError } from '../../errors/index.js'
import { errorFromResponse } from '../../http/error-body.js'
import { quotaError } from '../../run/quota.js'
import { assertPrivateOrHttps } from './host-checks.js'
import { createHealthChecks } from './host-health.js'
import { createHost, type Host } from './host-state.js'

export type { Host }

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

export const createHostSet = (options: HostSetOptions) => {
  const { token, fetch: fetchImpl, retryDownAfterMs, healthTimeoutMs } = options
  for (const url of options.urls) assertPrivateOrHttps(url)
  const hosts = options.urls.map((url) => createHost(url, { retryDownAfterMs }))
  let next = 0

  const headers = (json = false): Record<string, string> => ({
    [RUNNER_PROTOCOL_HEADER]: String(RUNNER_PROTOCOL),
    ...(token && { authorization: `Bearer ${token}` }),
    ...(json && { 'content-type': 'application/json' }),
  })
  const get = async (host: Host, path: string, timeoutMs = healthTimeoutMs) => {
    const response = await fetchImpl(`${host.url}${path}`, {
      headers: headers(),
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!response.ok) throw await errorFromResponse(response)
    return response.json()
  }
  const { markDown, check, startProbe } = createHealthChecks({ get })
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
    /** Checks every host every `everyMs` until the returned function is called. */
    startProbe: (everyMs: number) => startProbe(hosts, everyMs),
    /**
     * The hosts a run may go to, starting after the last one used: those up (and, `forRun`,
     * with quota left); then, as a last resort, those down being checked again (a down host is
     * checked once its retry time has come, without the run waiting for it meanwhile).
     */
    async *candidates(forRun = false): AsyncGenerator<Host> {
      const start = next++ % hosts.length
      const order = hosts.map((_, i) => hosts[(start + i) % hosts.length] as Host)
      for (const host of order) {
        if (host.retryDue()) void check(host)
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
