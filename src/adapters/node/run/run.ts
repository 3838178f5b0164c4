/**
 * One run through the Node runner, as named phases:
 *   refuse   everything that can say no before the run holds anything (policy, quota, sandbox)
 *   slot     a running slot, or a place in the fair queue first (slot.ts)
 *   acquire  its CLI session: the parked run it continues, a warm one, or a cold start
 *   converse the conversation up to the result, or up to client tool calls (it parks)
 *   settle   the session parked, reset for its tenant, or stopped; the slot given back
 * Charging a parked part is charging.ts; why a run failed, failures.ts.
 */
import type { Logger } from '../../../lib/logger.js'
import type { Capacity } from '../../../run/capacity.js'
import { conversationKey } from '../../../run/conversation-key.js'
import type { QuotaGate } from '../../../run/quota.js'
import type { ModelInfo, RunEvent, RunOptions, RunRequest } from '../../../runner.js'
import { createCliTranslator } from '../cli-protocol/translator.js'
import type { ProcessSource, RunPlace } from '../pool/process-source.js'
import { needsSandbox } from '../process/sandbox.js'
import type { CliSession } from '../session/cli-session.js'
import { chargePart, finishTurn } from './charging.js'
import type { RunTracker } from './control.js'
import { logFailure, noResultError, unexpectedExit } from './failures.js'
import type { ParkedRun, ParkedRuns } from './parking.js'
import { takeSlot } from './slot.js'

export type RunDeps = {
  checkRequest: (request: RunRequest) => void
  quota: QuotaGate
  requireSandbox: () => Promise<string>
  source: ProcessSource
  parked: ParkedRuns
  capacity: Capacity
  tracker: RunTracker
  models: () => Promise<ModelInfo[]>
  logger: Logger
  timeoutMs: (request: RunRequest) => number
}

/** How the run's conversation ended, for what becomes of its session. */
type Ending = { parking: ParkedRun } | { completed: string | null }

export const createRun = (deps: RunDeps) => {
  /** Refuse: nothing is held yet, so a refusal leaves nothing behind. */
  const refuse = async (request: RunRequest) => {
    deps.checkRequest(request)
    // Tool results continue the run that waits for them; it stays parked until the slot.
    const followUp = request.toolResults?.length
      ? deps.parked.find(request.toolResults, request.owner, request.conversation)
      : undefined
    // A login whose quota is used up refuses at once, without starting a CLI (but a probe).
    if (!followUp) deps.quota.admit()
    // Without a sandbox such a run is refused outright.
    const sandbox = needsSandbox(request.allowedTools) ? await deps.requireSandbox() : undefined
    return { followUp, place: deps.source.placeOf(request, sandbox) }
  }

  /** Converse: the run's stretch of conversation, and how it ended (set before it is told). */
  async function* converse(
    request: RunRequest,
    session: CliSession,
    place: RunPlace,
    followUp: ParkedRun | undefined,
    signal: AbortSignal,
    end: { ending?: Ending }
  ): AsyncGenerator<RunEvent> {
    const tools = followUp?.tools ?? request.tools ?? []
    const results = new Map(request.toolResults?.map((r) => [r.toolUseId, r]))
    const translator = followUp?.translator ?? createCliTranslator(request)
    // A process that may be reused, or that serves client tools (their answers go on stdin),
    // keeps stdin open; otherwise the CLI exits after this turn.
    const keepOpen = Boolean(place.tenant) || tools.length > 0
    if (followUp) session.resume(followUp.pending, results)
    else session.begin(request, keepOpen)
    const stretch = yield* session.converse(translator, {
      tools,
      results,
      stopAtResult: keepOpen,
      onEvent: (event) => event.type === 'quota' && deps.quota.report(event.quota),
    })
    signal.throwIfAborted()
    if (stretch.kind === 'parked') {
      const part = translator.suspend()
      if (!part.toolCalls?.length) {
        part.toolCalls = stretch.pending.map((c) => ({
          id: c.toolUseId,
          name: c.name,
          input: c.input,
        }))
      }
      const bill = chargePart(part, followUp?.charged ?? 0, await deps.models().catch(() => []))
      part.totalCostUsd = bill.costUsd
      end.ending = {
        parking: {
          session,
          owner: request.owner,
          tools,
          translator,
          pending: stretch.pending,
          calls: part.toolCalls.map((call) => call.id),
          made: part.toolCalls,
          charged: bill.charged,
          conversation: followUp?.conversation ?? conversationKey(request),
        },
      }
      yield { type: 'result', result: part }
      return
    }
    if (stretch.kind === 'result' && translator.hasResult()) {
      const result = finishTurn(translator, followUp?.charged)
      end.ending = { completed: place.tenant ? result.sessionId : null }
      yield { type: 'result', result }
      return
    }
    const exit = await session.exited
    if (!translator.hasResult()) throw noResultError(exit.code, session.stderrTail())
    const result = translator.finish()
    if (exit.code !== 0) throw unexpectedExit(exit.code)
    end.ending = { completed: null }
    yield { type: 'result', result }
  }

  /** Settle: the session waits for tool results, serves its tenant again, or stops. */
  const settle = async (session: CliSession, place: RunPlace, ending: Ending | undefined) => {
    if (ending && 'parking' in ending && session.state === 'running') {
      deps.parked.park(ending.parking)
      return
    }
    const completed = ending && 'completed' in ending ? ending.completed : null
    await deps.source.settle(session, { ...place, completed })
  }

  return async function* run(
    request: RunRequest,
    options: RunOptions = {}
  ): AsyncGenerator<RunEvent> {
    const { followUp, place } = await refuse(request)
    const control = deps.tracker.enter(options.signal, deps.timeoutMs(request))
    const { signal } = control
    let release: (() => void) | undefined
    let session: CliSession | undefined
    const end: { ending?: Ending } = {}
    const stopOnAbort = () => void session?.stop()
    try {
      release = yield* takeSlot(deps.capacity, signal, request.owner)
      signal.throwIfAborted()
      // Acquire: a parked run is taken only now that it has a slot.
      const taken = followUp && deps.parked.take(followUp)
      session = taken
        ? taken.session
        : await deps.source.acquire(request, place.sandbox, place.shape, place.tenant)
      signal.addEventListener('abort', stopOnAbort, { once: true })
      signal.throwIfAborted()
      yield { type: 'started' }
      yield* converse(request, session, place, taken, signal, end)
      signal.throwIfAborted()
    } catch (error) {
      // An abort surfaces as whatever was in flight (a closed pipe, a rejected wait): report why.
      const reason = signal.aborted ? signal.reason : error
      logFailure(deps.logger, reason, session)
      end.ending = undefined
      throw reason
    } finally {
      signal.removeEventListener('abort', stopOnAbort)
      if (session) await settle(session, place, signal.aborted ? undefined : end.ending)
      release?.()
      control.leave()
    }
  }
}
