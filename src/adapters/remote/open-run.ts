/**
 * Opening a run on a runner host, with deadlines so no request waits on a dead or wedged host:
 * the host must answer (connect, then headers) within `connectMs` and send the run's first event
 * within `firstEventMs`; once running, a stream silent for `stallMs` (a host sends a keep-alive
 * line every 15 s) is cut. A host that fails before any event is marked down and the run moves
 * on to the next; once an event has flowed it never does.
 */
import type * as v from 'valibot'
import type { RunRequest } from '../../contract/runner.js'
import { RunnerLine } from '../../contract/runner-protocol.js'
import { errorFromType } from '../../errors/from-wire.js'
import {
  type ClaudeError,
  CliProtocolError,
  isClaudeError,
  RunAbortedError,
  SessionHostUnavailableError,
} from '../../errors/index.js'
import { errorFromResponse } from '../../http/error-body.js'
import { readEvents } from '../../lib/read-events.js'
import { type Host, type HostSet, rejectedUntil } from './host-set.js'

export type Deadlines = { connectMs: number; firstEventMs: number; stallMs: number }

type Line = v.InferOutput<typeof RunnerLine>

/** Aborts `controller` unless kicked within the current phase's time; `phase` re-arms it. */
const createWatch = (controller: AbortController) => {
  let timer: ReturnType<typeof setTimeout> | undefined
  let ms = 0
  let why = ''
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer)
  }
  const arm = () => {
    clear()
    timer = setTimeout(() => controller.abort(new Error(why)), ms)
  }
  return {
    phase(nextMs: number, reason: string) {
      ms = nextMs
      why = reason
      arm()
    },
    kick: () => arm(),
    stop: clear,
  }
}

/** The host's body, every chunk (keep-alives included) kicking the watch. */
const watched = (body: ReadableStream<Uint8Array>, kick: () => void) =>
  body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        kick()
        out.enqueue(chunk)
      },
    })
  )

/** Failures made of a host's broken line: they fail the run, never the host (see distrusted). */
const breaches = new WeakMap<object, string>()
/** The URL of the host whose broken line `error` is, if it is one. */
export const breachedBy = (error: unknown) =>
  typeof error === 'object' && error !== null ? breaches.get(error) : undefined

/**
 * The host's lines as they are read. One that breaks the protocol (not JSON, too long, a count or
 * cost below zero or not finite, a name that could not be a header) fails the run as a protocol
 * error charged the key's whole reservation (`maxBudgetUsd`: the host's word on cost is worth
 * nothing now). The host stays in use: other keys' runs there are not its victims.
 */
async function* distrusted(lines: AsyncGenerator<Line>, request: RunRequest, host: Host) {
  try {
    yield* lines
  } catch (error) {
    if (!(error instanceof CliProtocolError)) throw error
    const reserved = request.maxBudgetUsd
    const breach = new CliProtocolError(`The runner host broke the protocol: ${error.message}`, {
      cause: error,
      ...(reserved !== undefined && { billed: { costUsd: reserved, usage: null, model: null } }),
    })
    breaches.set(breach, host.url)
    throw breach
  }
}

export type Opened = {
  host: Host
  /** The run's events, the first one included; the stall watch runs until they end. */
  events: AsyncGenerator<Line>
}

type Started = { host: Host; first: Line; rest: AsyncGenerator<Line>; close(): void }
type Try = Started | { refused: ClaudeError } | { failed: unknown }

/** One try on `host`: its events from the first on, or why it could not take the run. */
const tryHost = async (
  set: HostSet,
  fetchImpl: typeof fetch,
  host: Host,
  request: RunRequest,
  signal: AbortSignal,
  deadlines: Deadlines
): Promise<Try> => {
  const attempt = new AbortController()
  const watch = createWatch(attempt)
  watch.phase(deadlines.connectMs, 'the host did not answer in time')
  try {
    const response = await fetchImpl(`${host.url}/runner/v1/runs`, {
      method: 'POST',
      headers: set.headers(true),
      body: JSON.stringify(request),
      signal: AbortSignal.any([signal, attempt.signal]),
    })
    if (!response.ok || !response.body) {
      watch.stop()
      return { refused: await errorFromResponse(response) }
    }
    watch.phase(deadlines.firstEventMs, 'the host sent no event in time')
    const lines = distrusted(
      readEvents(watched(response.body, watch.kick), 'ndjson', RunnerLine),
      request,
      host
    )
    const first = await lines.next()
    if (first.done) throw new Error('the host ended the run before its first event')
    watch.phase(deadlines.stallMs, 'the host went silent mid-run')
    const close = () => {
      watch.stop()
      attempt.abort()
    }
    return { host, first: first.value as Line, rest: lines, close }
  } catch (error) {
    watch.stop()
    if (signal.aborted) throw new RunAbortedError('The run was aborted', { cause: error })
    if (breachedBy(error)) return { refused: error as ClaudeError }
    return { failed: attempt.signal.aborted ? attempt.signal.reason : error }
  }
}

/**
 * Opens the run on the first host that takes it (`only`: the host that holds what it
 * continues). Nothing has reached the caller when this throws.
 */
export const openRun = async (
  set: HostSet,
  fetchImpl: typeof fetch,
  request: RunRequest,
  signal: AbortSignal,
  deadlines: Deadlines,
  only?: Host
): Promise<Opened> => {
  let tried = 0
  let last: unknown
  for await (const host of only ? [only] : set.candidates(true)) {
    tried++
    const outcome = await tryHost(set, fetchImpl, host, request, signal, deadlines)
    if ('first' in outcome) {
      const line = outcome.first
      // An error before the run started: another host may take it.
      if (line.type === 'error') {
        outcome.close()
        const { type, message, retry_after, billed } = line.error
        const error = errorFromType(type, message, { retryAfter: retry_after, billed })
        if (!error.hostBound) throw error
        last = error
        continue
      }
      return { host, events: withFirst(line, outcome.rest, outcome.close) }
    }
    if ('refused' in outcome) {
      const error = outcome.refused
      if (error.type === 'quota_exhausted') host.quota.report(rejectedUntil(error))
      if (error.type === 'host_draining') host.refusedDraining()
      // Another host may have a free slot, or a login with quota left.
      if (!error.hostBound) throw error
      last = error
      continue
    }
    set.markDown(host, outcome.failed)
    host.failedOver()
    last = outcome.failed
  }
  // Busy everywhere, or no host holds the key's login: said as such.
  if (isClaudeError(last) && (last.type === 'queue_full' || last.type === 'login_missing')) {
    throw last
  }
  if (only) {
    throw new SessionHostUnavailableError(
      'The runner host that holds this session or waiting run cannot be reached; try again later, or start again without it',
      { cause: last, retryAfter: set.retryAfter }
    )
  }
  throw set.allExhausted() ?? set.unavailable(tried, last)
}

async function* withFirst(first: Line, rest: AsyncGenerator<Line>, close: () => void) {
  try {
    yield first
    yield* rest
  } finally {
    close()
  }
}
