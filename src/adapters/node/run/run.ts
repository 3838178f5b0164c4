/**
 * One run through the Node runner, as named phases:
 *   refuse   everything that can say no before the run holds anything (policy, quota, sandbox)
 *   slot     a running slot, or a place in the fair queue first (slot.ts)
 *   acquire  its CLI session: the parked run it continues, the process holding its earlier
 *            turns, a warm one, or a cold start
 *   converse the conversation up to the result, or up to client tool calls (it parks)
 *   settle   the session parked, holding its conversation, reset for its tenant, or stopped;
 *            the slot given back
 * Charging a parked part is charging.ts; why a run failed, failures.ts.
 */

import type { ModelInfo, RunEvent, RunOptions, RunRequest } from '../../../contract/runner.js'
import type { Logger } from '../../../lib/logger.js'
import type { Capacity } from '../../../run/capacity.js'
import type { QuotaGates } from '../../../run/quota.js'
import { carrierOf, contextFrom } from '../../../tracing/context.js'
import { PHASES, startPhase } from '../../../tracing/phase.js'
import { type RunSpan, startRunSpan, traced } from '../../../tracing/run-span.js'
import type { Tracing } from '../../../tracing/tracing.js'
import type { ProcessSource } from '../pool/process-source.js'
import type { RunPlace } from '../pool/shape.js'
import { needsSandbox } from '../process/sandbox.js'
import type { CliSession } from '../session/cli-session.js'
import type { RunTracker } from './control.js'
import { logFailure } from './failures.js'
import type { ParkedRuns } from './parking.js'
import { takeSlot } from './slot.js'
import { type Ending, takeTurn } from './turn.js'

export type RunDeps = {
  checkRequest: (request: RunRequest) => void
  quota: QuotaGates
  requireSandbox: () => Promise<string>
  /** A kept session that a sandboxed run used: it resumes only in the sandbox. */
  sandboxedSession: (id: string) => Promise<boolean>
  source: ProcessSource
  parked: ParkedRuns
  capacity: Capacity
  tracker: RunTracker
  models: () => Promise<ModelInfo[]>
  logger: Logger
  timeoutMs: (request: RunRequest) => number
  tracing: Tracing
}

/** Refuse: nothing is held yet, so a refusal leaves nothing behind. */
const refuse = async (deps: RunDeps, request: RunRequest) => {
  deps.checkRequest(request)
  // Tool results continue the run that waits for them; it stays parked until the slot.
  const followUp = request.toolResults?.length
    ? deps.parked.find(request.toolResults, request.owner, request.conversation)
    : undefined
  // A key's login that is gone refuses first (its quota no longer matters); a login whose
  // quota is used up refuses at once, without starting a CLI (but a probe).
  if (request.login) await deps.source.checkLogin(request.login)
  if (!followUp) deps.quota.of(request.login).admit()
  // Without a sandbox such a run is refused outright.
  const confined =
    needsSandbox(request.allowedTools) ||
    (request.resumeSessionId !== undefined &&
      (await deps.sandboxedSession(request.resumeSessionId)))
  const sandbox = confined ? await deps.requireSandbox() : undefined
  // A follow-up's process goes back where the run that started it got it from.
  return { followUp, place: followUp?.place ?? deps.source.placeOf(request, sandbox) }
}

/** Settle: the session waits for tool results, serves its tenant again, or stops. */
const settle = async (
  deps: RunDeps,
  session: CliSession,
  place: RunPlace,
  ending: Ending | undefined,
  owner: string | undefined
) => {
  if (ending && 'parking' in ending && session.state === 'running') {
    deps.parked.park(ending.parking)
    return
  }
  const done = ending && 'completed' in ending ? ending : { completed: null }
  await deps.source.settle(session, { ...place, ...done, owner })
}

export const createRun = (deps: RunDeps) =>
  async function* run(request: RunRequest, options: RunOptions = {}): AsyncGenerator<RunEvent> {
    const { followUp, place } = await refuse(deps, request)
    const control = deps.tracker.enter(options.signal, deps.timeoutMs(request))
    const { signal } = control
    const parent = contextFrom(options.trace)
    let release: (() => void) | undefined
    let session: CliSession | undefined
    let served: (() => void) | undefined
    const end: { ending?: Ending } = {}
    const stopOnAbort = () => void session?.stop()
    // At the deadline (or an abort) the slot is free at once, even if the client has stopped
    // reading and the run is not resumed to reach its cleanup.
    const freeSlot = () => release?.()
    const queue = startPhase(deps.tracing, PHASES.queue, parent)
    let phase = queue
    let runSpan: RunSpan | undefined
    // Until its events flow, the run's span is ended here; from then on, by `traced`.
    let spanOwned = false
    try {
      release = yield* takeSlot(deps.capacity, signal, request.owner)
      signal.addEventListener('abort', freeSlot, { once: true })
      signal.throwIfAborted()
      queue.done()
      // Acquire: a parked run is taken only now that it has a slot. Getting its process is the
      // run's first part (a cold start's CLI gets the run's span as its parent).
      runSpan = startRunSpan(deps.tracing, request, parent)
      const trace = carrierOf(runSpan.span)
      phase = startPhase(deps.tracing, PHASES.process, runSpan.context)
      const taken = followUp && deps.parked.take(followUp)
      const acquired = taken
        ? { session: taken.session, origin: 'parked' as const }
        : await deps.source.acquire(request, place, trace)
      session = acquired.session
      phase.done({ 'claude_code_api.process.origin': acquired.origin })
      // What the CLI exports while it serves this run nests under the run's span (a follow-up's:
      // under the span of the run whose turn it continues).
      served = deps.source.serving(session, trace, taken !== undefined)
      signal.addEventListener('abort', stopOnAbort, { once: true })
      signal.throwIfAborted()
      yield { type: 'started' }
      const turn = takeTurn(deps, request, session, place, taken, signal, end)
      // A span that records nothing reads no events: no step more per event with tracing off.
      spanOwned = runSpan.span.isRecording()
      yield* spanOwned ? traced(turn, runSpan) : turn
      signal.throwIfAborted()
    } catch (error) {
      // An abort surfaces as whatever was in flight (a closed pipe, a rejected wait): report why.
      const reason = signal.aborted ? signal.reason : error
      phase.fail(reason)
      if (!spanOwned) runSpan?.fail(reason)
      logFailure(deps.logger, reason, session)
      end.ending = undefined
      throw reason
    } finally {
      served?.()
      phase.done()
      if (!spanOwned) runSpan?.end()
      signal.removeEventListener('abort', stopOnAbort)
      signal.removeEventListener('abort', freeSlot)
      const ending = signal.aborted ? undefined : end.ending
      if (session) await settle(deps, session, place, ending, request.owner)
      release?.()
      control.leave()
    }
  }
