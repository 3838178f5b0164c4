/**
 * A run's turn with its CLI session (the converse phase of run.ts): the prompt or the client's
 * tool results go in, events come out, and how it ended is set before the run's last event is
 * told, so a client that stops reading at the result still leaves the session where it belongs.
 */

import type { HistoryTurn, ModelInfo, RunEvent, RunRequest } from '../../../contract/runner.js'
import { assistantTurn, blocksOf, isContent, resultBlock } from '../../../run/content.js'
import {
  type Conversation,
  continueWith,
  conversationKey,
  conversationOf,
} from '../../../run/conversation-key.js'
import type { QuotaGates } from '../../../run/quota.js'
import { createCliTranslator } from '../cli-protocol/translator.js'
import type { RunPlace } from '../pool/shape.js'
import type { CliSession } from '../session/cli-session.js'
import { chargePart, finishTurn } from './charging.js'
import { noResultError, unexpectedExit } from './failures.js'
import type { ParkedRun } from './parking.js'

/**
 * How the run's conversation ended, for what becomes of its session: with `conversation` (the
 * conversation after a turn of one the client keeps), its process may hold it for the next turn.
 */
export type Ending =
  | { parking: ParkedRun }
  | { completed: string | null; conversation?: Conversation }

/** The user turn of a follow-up as the client keeps it: its results, then anything else it says. */
const followUpTurn = (request: RunRequest): HistoryTurn => ({
  role: 'user',
  content: [
    ...(request.toolResults ?? []).map(resultBlock),
    ...blocksOf(request.prompt).filter(isContent),
  ],
})

/** What a turn needs of the runner: the quota it reports to, prices for a parked part. */
export type TurnDeps = { quota: QuotaGates; models: () => Promise<ModelInfo[]> }

/** Converse: the run's stretch of conversation, and how it ended (set before it is told). */
export async function* takeTurn(
  deps: TurnDeps,
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
  // The conversation as the client shows it, through this turn's user message: read only for a
  // conversation the client keeps (a plain run's prompt need not be gone through again).
  const said = () =>
    followUp ? continueWith(followUp.transcript, followUpTurn(request)) : conversationOf(request)
  if (followUp) session.resume(followUp.pending, results)
  else session.begin(request, keepOpen)
  const stretch = yield* session.converse(translator, {
    tools,
    results,
    stopAtResult: keepOpen,
    onEvent: (event) => event.type === 'quota' && deps.quota.of(request.login).report(event.quota),
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
        transcript: continueWith(said(), assistantTurn(part.text, part.toolCalls)),
        place,
      },
    }
    yield { type: 'result', result: part }
    return
  }
  if (stretch.kind === 'cut') {
    // The CLI would ask the model to go on (three times, then fail, each call billed): the
    // answer ends here, and the process is killed before it makes that call, and not reused.
    void session.stop({ now: true })
    const result = translator.cut()
    const models = await deps.models().catch(() => [])
    result.totalCostUsd = chargePart(result, followUp?.charged ?? 0, models).costUsd
    end.ending = { completed: null }
    yield { type: 'result', result }
    return
  }
  if (stretch.kind === 'result' && translator.hasResult()) {
    const result = finishTurn(translator, followUp?.charged)
    // A client that keeps its conversation (tools, earlier turns) will likely send its next turn.
    const kept = followUp || request.history?.length || tools.length > 0
    end.ending = {
      completed: place.tenant ? result.sessionId : null,
      ...(kept && { conversation: continueWith(said(), assistantTurn(result.text, [])) }),
    }
    yield { type: 'result', result }
    return
  }
  const exit = await session.exited
  if (!translator.hasResult()) throw noResultError(exit.code, session.stderrTail())
  const result = translator.finish()
  if (exit.code !== 0 && !translator.reportedError()) throw unexpectedExit(exit.code)
  end.ending = { completed: null }
  yield { type: 'result', result }
}
