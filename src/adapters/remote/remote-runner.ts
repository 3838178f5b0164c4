/**
 * A `ClaudeRunner` that forwards runs to one or more runner hosts over HTTP (runner protocol v1),
 * with `fetch` only, so it runs on Workers, Node, Deno and Bun.
 * - Hosts are used in turn; one that fails is marked down at once and skipped until a health
 *   check passes again (host-set.ts); deadlines keep a dead or wedged host from holding a run
 *   (open-run.ts).
 * - A run moves to the next host only while nothing was received (connection refused, no answer
 *   in time, the host at capacity or draining); once events flow it is never retried, and a run
 *   its host drops mid-way ends with `503 host_lost` (retryable).
 * - A host whose Claude login reported its quota used up is skipped until the reset (but for a
 *   probe a minute, as the host itself allows); when every host is, the run is refused at once.
 * - Tool results and kept sessions go to the host that holds them (tool-routing.ts), only there.
 * - Aborting the signal cancels the request, and the host kills its CLI.
 */

import type * as v from 'valibot'
import type { ClaudeRunner, RunEvent, RunOptions, RunRequest } from '../../contract/runner.js'
import type { RunnerLine } from '../../contract/runner-protocol.js'
import { errorFromType } from '../../errors/from-wire.js'
import {
  ConfigError,
  DeadlineExceededError,
  HostLostError,
  isClaudeError,
  RunAbortedError,
  SessionNotFoundError,
  ToolCallNotPendingError,
} from '../../errors/index.js'
import { type Logger, silentLogger } from '../../lib/logger.js'
import { readRunStream } from '../../lib/run-stream.js'
import { createQuotaGates, type QuotaGate } from '../../run/quota.js'
import { withTraceHeaders } from '../../tracing/context.js'
import { fleetStatus } from './fleet-status.js'
import { saneResult } from './host-checks.js'
import { createHostPrices, type HostPrices } from './host-prices.js'
import { createHostSet, type Host, type HostSet, rejectedUntil } from './host-set.js'
import { breachedBy, openRun } from './open-run.js'
import { createSessionKeeping, type SessionArchive } from './session-keeping.js'
import { routeToHost, splitHostTag, tagForHost } from './tool-routing.js'

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
  /**
   * Checks every host this often in the background (where timers may run: the Node front
   * door). Without it a down host is checked again when a run needs it back.
   */
  probeEveryMs?: number
  /** A host must answer a run (connect and headers) within this. Default 5 s. */
  connectTimeoutMs?: number
  /** …and send its first event within this. Default 10 s. */
  firstEventTimeoutMs?: number
  /** A run's stream silent this long (hosts send a keep-alive every 15 s) is cut. Default 45 s. */
  stallTimeoutMs?: number
  /**
   * A run's deadline when it sets none (`timeoutMs`); the front door ends a run past its
   * deadline itself, a few seconds after the host should have. Default 900 s (a host's ceiling).
   */
  defaultTimeoutMs?: number
  /** Where kept sessions' transcripts are kept, so a session outlives its host (session-keeping.ts). */
  sessions?: SessionArchive
  logger?: Logger
}

/** How long past a run's deadline the front door waits for the host to end it. */
const DEADLINE_GRACE_MS = 5_000

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

/**
 * One of the host's lines as run events, tagged with the host; an error line is thrown. A quota
 * report is the login's the run used: the host's own, or a key's (`gate`).
 */
const relayLine =
  (host: Host, prices: HostPrices, logger: Logger, gate: QuotaGate) =>
  async (event: v.InferOutput<typeof RunnerLine>): Promise<RunEvent[]> => {
    if (event.type === 'error') {
      const { type, message, retry_after, billed } = event.error
      throw errorFromType(type, message, { retryAfter: retry_after, billed })
    }
    if (event.type === 'quota') gate.report(event.quota)
    if (event.type !== 'result') return [tagForHost(event, host.tag)]
    const result = saneResult(event.result, await prices.forResult(), logger, host.url)
    return [tagForHost({ type: 'result', result }, host.tag)]
  }

export const createRemoteRunner = ({
  urls,
  token,
  fetch: fetchImpl = (...args) => fetch(...args),
  retryDownAfterMs = 10_000,
  healthTimeoutMs = 2_000,
  probeEveryMs,
  connectTimeoutMs = 5_000,
  firstEventTimeoutMs = 10_000,
  stallTimeoutMs = 45_000,
  defaultTimeoutMs = 900_000,
  sessions,
  logger = silentLogger,
}: RemoteRunnerOptions): ClaudeRunner & { close(): Promise<void> } => {
  if (urls.length === 0)
    throw new ConfigError('createRemoteRunner needs at least one runner host URL')
  const set = createHostSet({ urls, token, fetch: fetchImpl, retryDownAfterMs, healthTimeoutMs })
  const stopProbe = probeEveryMs ? set.startProbe(probeEveryMs) : () => {}
  const deadlines = {
    connectMs: connectTimeoutMs,
    firstEventMs: firstEventTimeoutMs,
    stallMs: stallTimeoutMs,
  }
  const prices = createHostPrices(set)
  // Keys' own logins, held by the hosts by name: their quota is known here too, so a login that
  // is used up is refused at the front door, on whichever host its next run would go.
  const logins = createQuotaGates({ logger })
  const keeping = sessions && createSessionKeeping(sessions, set, fetchImpl, logger)

  async function* relayRun(request: RunRequest, options: RunOptions): AsyncGenerator<RunEvent> {
    const controller = new AbortController()
    // The host is trusted to keep the run's deadline no more than with anything else.
    const deadline = AbortSignal.timeout(
      (request.timeoutMs ?? defaultTimeoutMs) + DEADLINE_GRACE_MS
    )
    const signal = AbortSignal.any([
      ...(options.signal ? [options.signal] : []),
      controller.signal,
      deadline,
    ])
    if (signal.aborted) throw new RunAbortedError('The run was aborted')
    if (request.login && !request.toolResults?.length) logins.of(request.login).admit()
    // A waiting run or a kept session lives on one host: no other host has it.
    const routed = holderOf(set, request)
    // The host's spans join the request's trace.
    const fetchTraced = withTraceHeaders(fetchImpl, options.trace)
    const { host, events } = await openRun(
      set,
      fetchTraced,
      routed.request,
      signal,
      deadlines,
      routed.holder
    ).catch(async (error: unknown) => {
      // The session's host is gone or lost it: carried from the shared store to any host.
      const carried = await keeping?.carried(routed.request, error)
      if (!carried) throw error
      return openRun(set, fetchTraced, carried, signal, deadlines)
    })
    const kept =
      keeping && (request.persistSession || request.resumeSessionId) ? keeping : undefined
    for await (const event of readRunStream({
      events,
      signal,
      translate: relayLine(
        host,
        prices,
        logger,
        request.login ? logins.of(request.login) : host.quota
      ),
      aborted: (cause) =>
        deadline.aborted
          ? new DeadlineExceededError('The run passed its deadline on the runner host', { cause })
          : new RunAbortedError('The run was aborted', { cause }),
      // The host died, broke off or went silent: it is down until a health check says not.
      broken: (error) => {
        set.markDown(host, error)
        host.lostRun()
        logger.warn('a runner host dropped a run mid-way', {
          host: host.url,
          error: String(error),
        })
        return new HostLostError(
          'The runner host doing this run went away mid-run; send the request again (it goes to another host)',
          { cause: error, retryAfter: 1 }
        )
      },
      noResult: () => new Error('the host ended the run without a result'),
      // Cancels the upstream request if the consumer stopped early.
      close: () => controller.abort(),
    })) {
      // Kept in the shared store before the client has the answer: the next turn finds it.
      const session = event.type === 'result' ? event.result.sessionId : null
      if (kept && session) await kept.save(host, splitHostTag(session).id, request.owner ?? '')
      yield event
    }
  }

  /** The run, and a log line when a host broke the protocol (opening it, or mid-way). */
  async function* run(request: RunRequest, options: RunOptions = {}): AsyncGenerator<RunEvent> {
    try {
      yield* relayRun(request, options)
    } catch (error) {
      if (request.login && isClaudeError(error) && error.type === 'login_quota') {
        logins.of(request.login).report(rejectedUntil(error))
      }
      const host = breachedBy(error)
      if (host) {
        logger.warn('a runner host broke the protocol; the run failed', {
          host,
          error: String(error),
        })
      }
      throw error
    }
  }

  return {
    run,
    status: async () => ({
      ...(await fleetStatus(set, Math.max(healthTimeoutMs, 10_000))),
      logins: logins.logins(),
    }),
    models: prices.models,
    quota: (login?: string) => (login ? logins.of(login).current() : set.latestQuota()),
    tools: set.tools,
    close: async () => stopProbe(),
  }
}
