/**
 * Wraps the server's runner for one caller: enforces the key's policy before anything starts
 * (403 for a model or tool outside it, 429 for its concurrency or daily budget), ties kept
 * sessions to the key, and charges every run to it (see run/charge.ts).
 */

import type {
  ClaudeRunner,
  RunCharge,
  RunEvent,
  RunOptions,
  RunRequest,
  RunResult,
} from '../contract/runner.js'
import { isClaudeError, PolicyError } from '../errors/index.js'
import { chargeOf, estimateCharge, firstCallCost } from '../run/charge.js'
import { overageError, overageHolds } from '../run/quota.js'
import { assertRunnable } from '../run/request-check.js'
import { contextFrom } from '../tracing/context.js'
import { PHASES, startPhase } from '../tracing/phase.js'
import { createTracing, type Tracing } from '../tracing/tracing.js'
import type { Admission, UsageStore } from '../usage/store.js'
import type { KeyRecord } from './keys.js'
import type { ParkedPlaces } from './parked-places.js'

export type RunObserver = (request: RunRequest, result: RunResult) => void

export type PolicyHooks = {
  onResult?: RunObserver
  /** When the run started: ms since it was asked for (a slot, and its CLI process). */
  onStarted?: (waitedMs: number) => void
  /** Admission gets a span under the run's parent. */
  tracing?: Tracing
}

export const withKeyPolicy = (
  runner: ClaudeRunner,
  key: KeyRecord | undefined,
  usage: UsageStore,
  parked: ParkedPlaces,
  { onResult, onStarted, tracing = createTracing() }: PolicyHooks = {}
): ClaudeRunner => {
  const who = {
    id: key?.hash ?? 'anonymous',
    name: key ? key.name || key.hash.slice(0, 8) : 'anonymous',
  }
  const policy = key?.policy ?? {}

  const check = (request: RunRequest) => {
    assertRunnable(request)
    const model = request.model ?? 'default'
    if (policy.models && !policy.models.includes(model)) {
      throw new PolicyError(`This key may not use model ${JSON.stringify(model)}`)
    }
    const denied = (request.allowedTools ?? []).filter(
      (tool) => policy.tools && !policy.tools.includes(tool)
    )
    if (denied.length > 0) throw new PolicyError(`This key may not use tools: ${denied.join(', ')}`)
    const quota = runner.quota?.(policy.login)
    if (quota && overageHolds(quota) && !policy.allow_overage) {
      throw overageError(quota, Date.now(), policy.login)
    }
  }

  /**
   * A follow-up with tool results continues a run whose place is still held; any other run
   * takes a place: the key's place and its budget are checked where they are kept (shared at
   * the edge), and a run of a key with a budget is capped at what it reserved of it.
   */
  const admit = async (request: RunRequest, options: RunOptions | undefined) => {
    const phase = startPhase(tracing, PHASES.admission, contextFrom(options?.trace), {
      'claude_code_api.key': who.name,
    })
    try {
      check(request)
      const calls = request.toolResults?.map((result) => result.toolUseId) ?? []
      const continued = calls.length > 0 ? await parked.take(who.id, calls) : undefined
      const admission: Admission =
        continued ??
        (await usage.begin(who, {
          maxConcurrent: policy.max_concurrent,
          dailyUsd: policy.daily_usd,
        }))
      phase.done({ 'claude_code_api.admission.continued': continued !== undefined })
      return { calls, continued, admission }
    } catch (error) {
      phase.fail(error)
      throw error
    }
  }

  async function* run(request: RunRequest, options?: RunOptions): AsyncGenerator<RunEvent> {
    const { calls, continued, admission } = await admit(request, options)
    const { release, capUsd, handle } = admission
    const place = { release, handle }
    let parkedOn: string[] | undefined
    let begun = false
    const capped =
      capUsd === undefined ? {} : { maxBudgetUsd: Math.min(request.maxBudgetUsd ?? capUsd, capUsd) }
    // Every run that reached the model is charged, however it ends.
    let charged = false
    let streamed: Extract<RunEvent, { type: 'usage' }> | undefined
    // The first call's usage as it began: what the next run must be able to pay at the least.
    let firstCall: Extract<RunEvent, { type: 'usage' }> | undefined
    const charge = async (amount: RunCharge) => {
      charged = true
      const floor = firstCall && firstCallCost(amount, firstCall.usage)
      await usage.record(who, { ...amount, ...(floor !== undefined && { firstCallUsd: floor }) })
    }
    const asked = performance.now()
    try {
      for await (const event of runner.run(
        // Whose run it is, and on which login, is the server's to say; a transcript is carried
        // only by a front door, past this point.
        {
          ...request,
          ...capped,
          owner: key?.hash,
          login: policy.login,
          carriedTranscript: undefined,
        },
        options
      )) {
        if (event.type === 'started') {
          begun = true
          onStarted?.(performance.now() - asked)
        }
        if (event.type === 'usage') {
          streamed = event
          firstCall ??= event
        }
        if (event.type === 'result') {
          parkedOn = event.result.toolCalls?.map((call) => call.id)
          await charge(chargeOf(event.result))
          onResult?.(request, event.result)
        }
        yield event
      }
    } catch (error) {
      if (isClaudeError(error) && error.billed) await charge(error.billed)
      throw error
    } finally {
      try {
        if (!charged && streamed) {
          const models = await runner.models().catch(() => [])
          await charge(estimateCharge(streamed.usage, streamed.model, models))
        }
      } finally {
        // A run that parked still holds its CLI process: its place waits with it (and so it does
        // when the follow-up that took it over was refused before it could continue the run).
        if (parkedOn?.length) await parked.hold(who.id, parkedOn, place)
        else if (continued && !begun) await parked.hold(who.id, calls, place)
        else await release()
      }
    }
  }

  return {
    run,
    // A key on its own login is told that login's quota, not the server's.
    status: async () => {
      const status = await runner.status()
      return policy.login ? { ...status, quota: status.logins?.[policy.login] ?? null } : status
    },
    models: () => runner.models(),
    quota: () => runner.quota?.(policy.login),
    tools: async () =>
      ((await runner.tools?.()) ?? []).filter(
        (tool) => !policy.tools || policy.tools.includes(tool)
      ),
  }
}
