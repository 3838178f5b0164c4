/**
 * What a CLI `result` line means: the run's result (usage and this run's cost), or the typed
 * error that explains a failure. The only place that reads the CLI's result fields.
 */

import type { ModelUsage, RunEvent, RunResult, Usage } from '../../../contract/runner.js'
import {
  BudgetExceededError,
  type ClaudeError,
  DeadlineExceededError,
  MaxTurnsError,
  NotLoggedInError,
  OverloadedError,
  RateLimitedError,
  StructuredOutputError,
  UpstreamApiError,
  UpstreamAuthError,
} from '../../../errors/index.js'
import type { CliMessage } from './message.js'

const toUsage = (usage: CliMessage | undefined): Usage | null =>
  usage
    ? {
        input_tokens: Number(usage.input_tokens ?? 0),
        output_tokens: Number(usage.output_tokens ?? 0),
        cache_read_input_tokens: Number(usage.cache_read_input_tokens ?? 0),
        cache_creation_input_tokens: Number(usage.cache_creation_input_tokens ?? 0),
      }
    : null

const toModelUsage = (modelUsage: CliMessage | undefined): ModelUsage | null => {
  if (!modelUsage || typeof modelUsage !== 'object') return null
  const out: ModelUsage = {}
  for (const [model, u] of Object.entries(modelUsage as Record<string, CliMessage>)) {
    out[model] = {
      inputTokens: Number(u.inputTokens ?? 0),
      outputTokens: Number(u.outputTokens ?? 0),
      cacheReadInputTokens: Number(u.cacheReadInputTokens ?? 0),
      cacheCreationInputTokens: Number(u.cacheCreationInputTokens ?? 0),
      costUSD: Number(u.costUSD ?? 0),
    }
  }
  return out
}

/**
 * This run's cost. The CLI's `total_cost_usd` adds up everything the session cost (a resumed
 * session starts from its earlier total), so the per-turn model usage is summed when present.
 */
const runCost = (result: CliMessage, modelUsage: ModelUsage | null) =>
  result.model_usage_since_last_result && modelUsage
    ? Object.values(modelUsage).reduce((sum, usage) => sum + usage.costUSD, 0)
    : Number(result.total_cost_usd ?? 0)

export const toRunResult = (result: CliMessage): RunResult => {
  // Per-turn usage when the CLI gives it (stream-json), else the cumulative figures.
  const modelUsage = toModelUsage(result.model_usage_since_last_result ?? result.modelUsage)
  return {
    text: typeof result.result === 'string' ? result.result : '',
    ...('structured_output' in result && { structuredOutput: result.structured_output }),
    sessionId: typeof result.session_id === 'string' ? result.session_id : null,
    model: modelUsage ? (Object.keys(modelUsage)[0] ?? null) : null,
    numTurns: Number(result.num_turns ?? 1),
    totalCostUsd: runCost(result, modelUsage),
    durationMs: Number(result.duration_ms ?? 0),
    usage: toUsage(result.usage),
    modelUsage,
  }
}

/** Subscription limits read `…limit reached|<epoch seconds>`; take the reset time when present. */
const parseResetAt = (text: string): Date | undefined => {
  const match = /\|(\d{10})\b/.exec(text)
  return match?.[1] ? new Date(Number(match[1]) * 1000) : undefined
}

const secondsUntil = (date: Date | undefined) =>
  date ? Math.max(1, Math.ceil((date.getTime() - Date.now()) / 1000)) : undefined

/**
 * One place that decides what a CLI result means. Messages are our own: the CLI's texts can name
 * internal hosts, so they are logged by the adapter and never passed to clients.
 */
export const resultError = (
  result: CliMessage,
  context: {
    apiErrorKind?: string
    lastRetry?: Extract<RunEvent, { type: 'retry' }>
    maxTurns?: number
  } = {}
): ClaudeError | undefined => {
  const subtype = String(result.subtype ?? '')
  const text = typeof result.result === 'string' ? result.result : ''
  switch (subtype) {
    case 'error_max_turns':
      return new MaxTurnsError(
        `The run reached its turn limit${context.maxTurns ? ` (max_turns ${context.maxTurns})` : ''} before finishing`
      )
    case 'error_max_budget_usd':
      return new BudgetExceededError('The run reached its budget (max_budget_usd) before finishing')
    case 'error_max_structured_output_retries':
      return new StructuredOutputError(
        'The model did not produce output that matches the JSON schema'
      )
    case 'success':
      break
    default:
      if (subtype.startsWith('error')) {
        return new UpstreamApiError('The run was interrupted before it finished')
      }
  }
  if (result.is_error !== true) return undefined

  const status = typeof result.api_error_status === 'number' ? result.api_error_status : null
  const kind = context.apiErrorKind
  if (status === 401 || status === 403 || kind === 'authentication_failed') {
    if (status === null && /not logged in/i.test(text)) {
      return new NotLoggedInError(
        'Claude Code is not logged in on the server: run `claude auth login` or set CLAUDE_CODE_OAUTH_TOKEN'
      )
    }
    return new UpstreamAuthError(
      `The Anthropic API refused the server's credentials${status ? ` (HTTP ${status})` : ''}`
    )
  }
  if (status === null && /not logged in/i.test(text)) {
    return new NotLoggedInError(
      'Claude Code is not logged in on the server: run `claude auth login` or set CLAUDE_CODE_OAUTH_TOKEN'
    )
  }
  if (status === 429 || kind === 'rate_limit' || /usage limit|rate limit/i.test(text)) {
    const resetAt = parseResetAt(text)
    const retryAfter =
      secondsUntil(resetAt) ?? Math.max(1, Math.ceil((context.lastRetry?.delayMs ?? 1000) / 1000))
    return new RateLimitedError('The Anthropic API rate limit was reached', {
      retryAfter,
      resetAt,
    })
  }
  if (status === 529 || kind === 'overloaded' || /overloaded/i.test(text)) {
    return new OverloadedError('The Anthropic API is overloaded; try again shortly', {
      retryAfter: 5,
    })
  }
  if (status === null && /timed out/i.test(text)) {
    return new DeadlineExceededError('The Anthropic API did not answer in time')
  }
  if (status !== null) {
    return new UpstreamApiError(`The Anthropic API failed (HTTP ${status})`, {
      upstreamStatus: status,
    })
  }
  return new UpstreamApiError('The Anthropic API could not be reached')
}
