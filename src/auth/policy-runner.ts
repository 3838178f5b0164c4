/**
 * Wraps the server's runner for one caller: enforces the key's policy before anything starts
 * (403 for a model or tool outside it, 429 for its concurrency or daily budget), ties kept
 * sessions to the key, and charges every run to it (see run/charge.ts).
 */
import { isClaudeError, PolicyError, QuotaExceededError } from '../errors.js'
import { chargeOf, estimateCharge } from '../run/charge.js'
import { assertRunnable } from '../run/request-check.js'
import type {
  ClaudeRunner,
  RunCharge,
  RunEvent,
  RunOptions,
  RunRequest,
  RunResult,
} from '../runner.js'
import type { KeyRecord } from './keys.js'
import { secondsToUtcMidnight, type UsageTracker } from './usage.js'

export type RunObserver = (request: RunRequest, result: RunResult) => void

export const withKeyPolicy = (
  runner: ClaudeRunner,
  key: KeyRecord | undefined,
  usage: UsageTracker,
  onResult?: RunObserver,
  /** When the run started: ms since it was asked for (a slot, and its CLI process). */
  onStarted?: (waitedMs: number) => void
): ClaudeRunner => {
  const id = key?.hash ?? 'anonymous'
  const name = key ? key.name || key.hash.slice(0, 8) : 'anonymous'
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
    if (policy.max_concurrent !== undefined && usage.active(id) >= policy.max_concurrent) {
      throw new QuotaExceededError(
        `This key already has ${policy.max_concurrent} run(s) in progress`,
        { retryAfter: 2 }
      )
    }
    if (policy.daily_usd !== undefined && usage.spentToday(id) >= policy.daily_usd) {
      throw new QuotaExceededError(
        `This key has spent its daily budget of $${policy.daily_usd} (resets at 00:00 UTC)`,
        { retryAfter: secondsToUtcMidnight() }
      )
    }
  }

  async function* run(request: RunRequest, options?: RunOptions): AsyncGenerator<RunEvent> {
    check(request)
    const done = usage.start(id, name)
    // Every run that reached the model is charged, however it ends.
    let charged = false
    let streamed: Extract<RunEvent, { type: 'usage' }> | undefined
    const charge = (amount: RunCharge) => {
      charged = true
      usage.record(id, name, amount)
    }
    const asked = performance.now()
    try {
      for await (const event of runner.run({ ...request, owner: key?.hash }, options)) {
        if (event.type === 'started') onStarted?.(performance.now() - asked)
        if (event.type === 'usage') streamed = event
        if (event.type === 'result') {
          charge(chargeOf(event.result))
          onResult?.(request, event.result)
        }
        yield event
      }
    } catch (error) {
      if (isClaudeError(error) && error.billed) charge(error.billed)
      throw error
    } finally {
      if (!charged && streamed) {
        const models = await runner.models().catch(() => [])
        charge(estimateCharge(streamed.usage, streamed.model, models))
      }
      done()
    }
  }

  return {
    run,
    status: () => runner.status(),
    models: () => runner.models(),
    quota: () => runner.quota?.(),
  }
}
