/**
 * A `ClaudeRunner` that forwards runs to one or more runner hosts over HTTP (runner protocol v1),
 * with `fetch` only, so it runs on Workers, Node, Deno and Bun.
 * - Hosts are used in turn; one that fails is skipped until a health check passes again.
 * - A run moves to the next host only while nothing was received (connection refused, or the
 *   host is at capacity); once events flow it is never retried.
 * - A host whose Claude login reported its quota used up is skipped until the reset (but for a
 *   probe a minute, as the host itself allows); when every host is, the run is refused at once.
 * - Tool results and kept sessions go to the host that holds them (tool-routing.ts), only there.
 * - Aborting the signal cancels the request, and the host kills its CLI.
 */

import { errorFromType } from '../../errors/from-wire.js'
import {
  type ClaudeError,
  CliProtocolError,
  ConfigError,
  isClaudeError,
  RateLimitedError,
  RunAbortedError,
  RunnerUnavailableError,
  SessionHostUnavailableError,
  SessionNotFoundError,
  ToolCallNotPendingError,
} from '../../errors/index.js'
import { errorFromResponse } from '../../http/error-body.js'
import { type Logger, silentLogger } from '../../lib/logger.js'
import { readEvents } from '../../lib/read-events.js'
import { createQuotaGate, type QuotaGate, quotaError } from '../../run/quota.js'
import type {
  CapacityStatus,
  ClaudeRunner,
  ModelInfo,
  Quota,
  RunEvent,
  RunnerStatus,
  RunOptions,
  RunRequest,
} from '../../runner.js'
import {
  RUNNER_PROTOCOL,
  RUNNER_PROTOCOL_HEADER,
  RunnerLine,
} from '../../runner-protocol/protocol.js'
import { assertPrivateOrHttps, saneResult } from './host-checks.js'
import { hostTag, routeToHost, tagForHost } from './tool-routing.js'

export type RemoteRunnerOptions = {
  /** Runner host base URLs, e.g. `['http://10.0.0.5:7743']`. */
  urls: string[]
  /** The hosts' RUNNER_TOKEN. */
  token?: string
  fetch?: typeof fetch
  /** How long a failed host is skipped before it is health-checked again. Default 10 s. */
  retryDownAfterMs?: number
  /** Timeout of a health check. Default 2 s. */
  healthTimeoutMs?: number
  logger?: Logger
}

type Host = { url: string; tag: string; downUntil: number; quota: QuotaGate }

/** What a host's refusal says of its login, until its own report arrives. */
const rejectedUntil = (error: ClaudeError): Quota => ({
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

export const createRemoteRunner = ({
  urls,
  token,
  fetch: fetchImpl = (...args) => fetch(...args),
  retryDownAfterMs = 10_000,
  healthTimeoutMs = 2_000,
  logger = silentLogger,
}: RemoteRunnerOptions): ClaudeRunner => {
  if (urls.length === 0)
    throw new ConfigError('createRemoteRunner needs at least one runner host URL')
  for (const url of urls) assertPrivateOrHttps(url)
  const hosts: Host[] = urls.map((url) => ({
    url: url.replace(/\/+$/, ''),
    tag: hostTag(url.replace(/\/+$/, '')),
    downUntil: 0,
    quota: createQuotaGate(),
  }))
  let next = 0
  let modelsCache: ModelInfo[] | undefined

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

  const healthy = async (host: Host) => {
    try {
      await get(host, '/runner/v1/health')
      host.downUntil = 0
      return true
    } catch {
      host.downUntil = Date.now() + retryDownAfterMs
      return false
    }
  }

  /**
   * Every host once, starting after the last one used; a host marked down is checked first, one
   * whose login is out of quota is left out (`forRun`: a run, which may be its probe).
   */
  async function* candidates(forRun = false): AsyncGenerator<Host> {
    const start = next++ % hosts.length
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[(start + i) % hosts.length] as Host
      if (host.downUntil > Date.now()) continue
      if (forRun && !host.quota.admits()) continue
      if (host.downUntil > 0 && !(await healthy(host))) continue
      yield host
    }
  }

  const unavailable = (tried: number, cause?: unknown) =>
    new RunnerUnavailableError(
      tried === 0
        ? 'No runner host is available (all are marked down); try again shortly'
        : `No runner host could take the run (tried ${tried})`,
      { cause, retryAfter: Math.ceil(retryDownAfterMs / 1000) }
    )

  /** The refusal when every host's login is out of quota: the soonest reset. */
  const allExhausted = () => {
    const known = hosts
      .map((host) => host.quota.current())
      .filter((q): q is Quota => q?.status === 'rejected')
      .sort((a, b) => (a.resets_at ?? '').localeCompare(b.resets_at ?? ''))
    return known[0] ? quotaError(known[0]) : undefined
  }

  /** Opens a run on the first host that answers; nothing has been received when this fails. */
  const open = async (request: RunRequest, signal: AbortSignal, only?: Host) => {
    let tried = 0
    let last: unknown
    for await (const host of only ? [only] : candidates(true)) {
      tried++
      let response: Response
      try {
        response = await fetchImpl(`${host.url}/runner/v1/runs`, {
          method: 'POST',
          headers: headers(true),
          body: JSON.stringify(request),
          signal,
        })
      } catch (error) {
        if (signal.aborted) throw new RunAbortedError('The run was aborted', { cause: error })
        host.downUntil = Date.now() + retryDownAfterMs
        last = error
        continue
      }
      if (response.ok && response.body) return { host, body: response.body }
      const error = await errorFromResponse(response)
      if (error.type === 'quota_exhausted') host.quota.report(rejectedUntil(error))
      // Another host may have a free slot, or a login with quota left.
      if (!error.hostBound) throw error
      last = error
    }
    if (isClaudeError(last) && last.type === 'queue_full') throw last
    if (only) {
      throw new SessionHostUnavailableError(
        'The runner host that holds this session or waiting run cannot be reached; try again later, or start again without it',
        { cause: last, retryAfter: Math.ceil(retryDownAfterMs / 1000) }
      )
    }
    throw allExhausted() ?? unavailable(tried, last)
  }

  async function* run(request: RunRequest, options: RunOptions = {}): AsyncGenerator<RunEvent> {
    const controller = new AbortController()
    const signal = options.signal
      ? AbortSignal.any([options.signal, controller.signal])
      : controller.signal
    if (signal.aborted) throw new RunAbortedError('The run was aborted')
    // A waiting run or a kept session lives on one host: no other host has it.
    const routed = routeToHost(request)
    const holder = routed.tag === undefined ? undefined : hosts.find((h) => h.tag === routed.tag)
    if (routed.tag !== undefined && !holder) {
      throw request.toolResults?.length
        ? new ToolCallNotPendingError('No runner host of this front door made that tool call')
        : new SessionNotFoundError('No session with that id')
    }
    const { host, body } = await open(routed.request, signal, holder)
    try {
      for await (const event of readEvents(body, 'ndjson', RunnerLine)) {
        if (event.type === 'error') {
          const { type, message, retry_after, billed } = event.error
          throw errorFromType(type, message, { retryAfter: retry_after, billed })
        }
        if (event.type === 'quota') host.quota.report(event.quota)
        if (event.type === 'result') {
          // The models' prices tell a cost too low; read them once, for the results to come.
          if (!modelsCache) void models().catch(() => {})
          const result = saneResult(event.result, modelsCache ?? [], logger, host.url)
          yield tagForHost({ type: 'result', result }, host.tag)
          return
        }
        yield tagForHost(event, host.tag)
      }
    } catch (error) {
      if (signal.aborted) throw new RunAbortedError('The run was aborted', { cause: error })
      if (isClaudeError(error)) throw error
      throw new CliProtocolError('The runner host broke off the run', { cause: error })
    } finally {
      // Cancels the upstream request if the consumer stopped early.
      controller.abort()
    }
    throw new CliProtocolError('The runner host ended the run without a result')
  }

  const status = async (): Promise<RunnerStatus> => {
    const states = await Promise.all(
      // A host's status asks its CLI (version, login): slower than a health check on a busy host.
      hosts.map((host) =>
        get(host, '/runner/v1/status', Math.max(healthTimeoutMs, 10_000)).catch(() => undefined)
      )
    )
    hosts.forEach((host, i) => {
      const reported = (states[i] as RunnerStatus | undefined)?.quota
      if (reported) host.quota.report(reported)
    })
    const up = states.filter(Boolean) as RunnerStatus[]
    const capacity = up.reduce<CapacityStatus>(
      (sum, s) => ({
        max_concurrency: sum.max_concurrency + s.capacity.max_concurrency,
        running: sum.running + s.capacity.running,
        queued: sum.queued + s.capacity.queued,
        max_queue: sum.max_queue + s.capacity.max_queue,
      }),
      { max_concurrency: 0, running: 0, queued: 0, max_queue: 0 }
    )
    const first = up[0]
    return {
      available: up.some((s) => s.available),
      binary_path: first?.binary_path ?? null,
      binary_source: first ? 'remote' : null,
      version: first?.version ?? null,
      logged_in: first ? up.every((s) => s.logged_in) : null,
      auth_method: first?.auth_method ?? null,
      capacity,
      hosts: hosts.map((host, i) => ({
        url: host.url,
        up: Boolean(states[i]),
        quota: host.quota.current() ?? null,
      })),
    }
  }

  const models = async (): Promise<ModelInfo[]> => {
    if (modelsCache) return modelsCache
    for await (const host of candidates()) {
      try {
        const { models } = (await get(host, '/runner/v1/models', 30_000)) as { models: ModelInfo[] }
        modelsCache = models
        return models
      } catch {
        host.downUntil = Date.now() + retryDownAfterMs
      }
    }
    throw unavailable(hosts.length)
  }

  /** The most recent report of any host (what response headers warn about). */
  const quota = () =>
    hosts
      .map((host) => host.quota.current())
      .filter((q): q is Quota => q !== undefined)
      .sort((a, b) => b.seen_at.localeCompare(a.seen_at))[0]

  return { run, status, models, quota }
}
