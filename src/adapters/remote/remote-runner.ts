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
  CliProtocolError,
  ConfigError,
  isClaudeError,
  RunAbortedError,
  SessionHostUnavailableError,
  SessionNotFoundError,
  ToolCallNotPendingError,
} from '../../errors/index.js'
import { errorFromResponse } from '../../http/error-body.js'
import { type Logger, silentLogger } from '../../lib/logger.js'
import { readEvents } from '../../lib/read-events.js'
import type { ClaudeRunner, ModelInfo, RunEvent, RunOptions, RunRequest } from '../../runner.js'
import { RunnerLine } from '../../runner-protocol/protocol.js'
import { fleetStatus } from './fleet-status.js'
import { saneResult } from './host-checks.js'
import { createHostSet, type Host, type HostSet, rejectedUntil } from './host-set.js'
import { routeToHost, tagForHost } from './tool-routing.js'

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

/** Waits for `promise` at most `ms`, whatever it does. */
const settledWithin = (promise: Promise<unknown>, ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    const done = () => {
      clearTimeout(timer)
      resolve()
    }
    promise.then(done, done)
  })

/** Opens a run on the first host that answers; nothing has been received when this fails. */
const openRun = async (
  set: HostSet,
  fetchImpl: typeof fetch,
  request: RunRequest,
  signal: AbortSignal,
  only?: Host
) => {
  let tried = 0
  let last: unknown
  for await (const host of only ? [only] : set.candidates(true)) {
    tried++
    let response: Response
    try {
      response = await fetchImpl(`${host.url}/runner/v1/runs`, {
        method: 'POST',
        headers: set.headers(true),
        body: JSON.stringify(request),
        signal,
      })
    } catch (error) {
      if (signal.aborted) throw new RunAbortedError('The run was aborted', { cause: error })
      set.markDown(host)
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
      { cause: last, retryAfter: set.retryAfter }
    )
  }
  throw set.allExhausted() ?? set.unavailable(tried, last)
}

/** The host that holds what the request continues (a waiting run, a kept session), if any. */
const holderOf = (set: HostSet, request: RunRequest) => {
  const routed = routeToHost(request)
  if (routed.tag === undefined) return { request: routed.request }
  const holder = set.byTag(routed.tag)
  if (holder) return { request: routed.request, holder }
  throw request.toolResults?.length
    ? new ToolCallNotPendingError('No runner host of this front door made that tool call')
    : new SessionNotFoundError('No session with that id')
}

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
  const set = createHostSet({ urls, token, fetch: fetchImpl, retryDownAfterMs, healthTimeoutMs })
  let modelsCache: ModelInfo[] | undefined
  /** The read of the models' prices in flight, and whether a result already waited for one. */
  let reading: Promise<unknown> | undefined
  let waited = false

  const models = async (): Promise<ModelInfo[]> => {
    if (modelsCache) return modelsCache
    for await (const host of set.candidates()) {
      try {
        const answer = (await set.get(host, '/runner/v1/models', 30_000)) as { models: ModelInfo[] }
        modelsCache = answer.models
        return answer.models
      } catch {
        set.markDown(host)
      }
    }
    throw set.unavailable(set.hosts.length)
  }

  /** The host's NDJSON as run events, tagged with the host; ends at the result. */
  async function* relay(host: Host, body: ReadableStream<Uint8Array>): AsyncGenerator<RunEvent> {
    for await (const event of readEvents(body, 'ndjson', RunnerLine)) {
      if (event.type === 'error') {
        const { type, message, retry_after, billed } = event.error
        throw errorFromType(type, message, { retryAfter: retry_after, billed })
      }
      if (event.type === 'quota') host.quota.report(event.quota)
      if (event.type !== 'result') {
        yield tagForHost(event, host.tag)
        continue
      }
      // The models' prices tell a cost too low. The first result waits for them (5 s at most);
      // while a host cannot list them, later results do not wait, and one read runs at a time.
      if (!modelsCache) {
        reading ??= models()
          .catch(() => {})
          .finally(() => (reading = undefined))
        if (!waited) {
          waited = true
          await settledWithin(reading, 5_000)
        }
      }
      const result = saneResult(event.result, modelsCache ?? [], logger, host.url)
      yield tagForHost({ type: 'result', result }, host.tag)
      return
    }
    throw new CliProtocolError('The runner host ended the run without a result')
  }

  async function* run(request: RunRequest, options: RunOptions = {}): AsyncGenerator<RunEvent> {
    const controller = new AbortController()
    const signal = options.signal
      ? AbortSignal.any([options.signal, controller.signal])
      : controller.signal
    if (signal.aborted) throw new RunAbortedError('The run was aborted')
    // A waiting run or a kept session lives on one host: no other host has it.
    const routed = holderOf(set, request)
    const { host, body } = await openRun(set, fetchImpl, routed.request, signal, routed.holder)
    try {
      yield* relay(host, body)
    } catch (error) {
      if (signal.aborted) throw new RunAbortedError('The run was aborted', { cause: error })
      if (isClaudeError(error)) throw error
      throw new CliProtocolError('The runner host broke off the run', { cause: error })
    } finally {
      // Cancels the upstream request if the consumer stopped early.
      controller.abort()
    }
  }

  return {
    run,
    status: () => fleetStatus(set, Math.max(healthTimeoutMs, 10_000)),
    models,
    quota: set.latestQuota,
    tools: set.tools,
  }
}
