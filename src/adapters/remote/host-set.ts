/**
 * The runner hosts a remote runner forwards to, and what it knows of each: whether it is up
 * (one that fails is skipped until a health check passes again) and its login's quota. Hosts
 * are offered in turn, starting after the last one used.
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
  downUntil: number
  quota: QuotaGate
  /** Claude Code's own tools its runs may allow, once a health check said. */
  tools?: readonly string[]
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

export const createHostSet = (options: HostSetOptions) => {
  const { token, fetch: fetchImpl, retryDownAfterMs, healthTimeoutMs } = options
  for (const url of options.urls) assertPrivateOrHttps(url)
  const hosts: Host[] = options.urls.map((raw) => {
    const url = raw.replace(/\/+$/, '')
    return { url, tag: hostTag(url), downUntil: 0, quota: createQuotaGate() }
  })
  let next = 0

  const headers = (json = false): Record<string, string> => ({
    [RUNNER_PROTOCOL_HEADER]: String(RUNNER_PROTOCOL),
    ...(token && { authorization: `Bearer ${token}` }),
    ...(json && { 'content-type': 'application/json' }),
  })
  const markDown = (host: Host) => {
    host.downUntil = Date.now() + retryDownAfterMs
  }
  const get = async (host: Host, path: string, timeoutMs = healthTimeoutMs) => {
    const response = await fetchImpl(`${host.url}${path}`, {
      headers: headers(),
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!response.ok) throw await errorFromResponse(response)
    return response.json()
  }
  const healthy = (host: Host) =>
    get(host, '/runner/v1/health').then(
      (answer) => {
        host.downUntil = 0
        const health = v.safeParse(Health, answer)
        if (health.success) host.tools = health.output.tools ?? []
        return true
      },
      () => {
        markDown(host)
        return false
      }
    )

  /** Seconds to wait before a host marked down is tried again. */
  const retryAfter = Math.ceil(retryDownAfterMs / 1000)

  return {
    hosts,
    retryAfter,
    headers,
    get,
    markDown,
    byTag: (tag: string) => hosts.find((h) => h.tag === tag),
    /**
     * The tools every host that is up allows (runs go to any of them); hosts not heard from yet
     * are asked first.
     */
    async tools(): Promise<readonly string[]> {
      const up = () => hosts.filter((host) => host.downUntil <= Date.now())
      await Promise.all(up().map((host) => host.tools ?? healthy(host)))
      const known = up().flatMap((host) => (host.tools ? [host.tools] : []))
      return (known[0] ?? []).filter((tool) => known.every((tools) => tools.includes(tool)))
    },
    /**
     * Every host once, starting after the last one used; a host marked down is checked first, one
     * whose login is out of quota is left out (`forRun`: a run, which may be its probe).
     */
    async *candidates(forRun = false): AsyncGenerator<Host> {
      const start = next++ % hosts.length
      for (let i = 0; i < hosts.length; i++) {
        const host = hosts[(start + i) % hosts.length] as Host
        if (host.downUntil > Date.now()) continue
        if (forRun && !host.quota.admits()) continue
        if (host.downUntil > 0 && !(await healthy(host))) continue
        yield host
      }
    },
    unavailable: (tried: number, cause?: unknown) =>
      new RunnerUnavailableError(
        tried === 0
          ? 'No runner host is available (all are marked down); try again shortly'
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
