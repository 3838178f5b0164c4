/**
 * Wraps the server's runner for one caller: enforces the key's policy before anything starts
 * (403 for a model or tool outside it, 429 for its concurrency or daily budget), ties kept
 * sessions to the key, and records usage.
 */
import { PolicyError, QuotaExceededError } from '../errors.js'
import { assertRunnable } from '../run/request-check.js'
import type { ClaudeRunner, RunEvent, RunOptions, RunRequest, RunResult } from '../runner.js'
import type { KeyRecord } from './keys.js'
import { secondsToUtcMidnight, type UsageTracker } from './usage.js'

export type RunObserver = (request: RunRequest, result: RunResult) => void

export const withKeyPolicy = (
  runner: ClaudeRunner,
  key: KeyRecord | undefined,
  usage: UsageTracker,
  onResult?: RunObserver
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
    try {
      for await (const event of runner.run({ ...request, owner: key?.hash }, options)) {
        if (event.type === 'result') {
          usage.record(id, name, event.result)
          onResult?.(request, event.result)
        }
        yield event
      }
    } finally {
      done()
    }
  }

  return { run, status: () => runner.status(), models: () => runner.models() }
}
