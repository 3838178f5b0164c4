/**
 * Claude Code's stream-json protocol, without any process handling: the stdin lines we write and
 * the translation of its stdout lines into `RunEvent`s and typed errors. Pure, so it is tested
 * against the recorded fixtures and shared by every adapter that drives the CLI.
 */
import {
  BudgetExceededError,
  type ClaudeError,
  CliProtocolError,
  DeadlineExceededError,
  MaxTurnsError,
  NotLoggedInError,
  OverloadedError,
  RateLimitedError,
  StructuredOutputError,
  UpstreamApiError,
  UpstreamAuthError,
} from '../../errors.js'
import type {
  ContentBlock,
  ModelUsage,
  RunEvent,
  RunRequest,
  RunResult,
  Usage,
} from '../../runner.js'

// biome-ignore lint/suspicious/noExplicitAny: CLI lines are untyped JSON, read defensively.
export type CliMessage = Record<string, any>

export const initializeLine = (request: RunRequest, requestId = 'init_1'): string =>
  JSON.stringify({
    type: 'control_request',
    request_id: requestId,
    request: {
      subtype: 'initialize',
      ...(request.systemPrompt !== undefined && { systemPrompt: [request.systemPrompt] }),
      ...(request.appendSystemPrompt !== undefined && {
        appendSystemPrompt: request.appendSystemPrompt,
      }),
      ...(request.jsonSchema !== undefined && { jsonSchema: request.jsonSchema }),
    },
  })

/**
 * The user line. Content is always an array of blocks; when the text would start with `/` the
 * CLI would run it as a slash command, so an empty trailing block (dropped by the CLI before the
 * API call) keeps it an ordinary prompt that reaches the model unchanged.
 */
export const userLine = (prompt: RunRequest['prompt']): string => {
  const content: ContentBlock[] =
    typeof prompt === 'string' ? [{ type: 'text', text: prompt }] : [...prompt]
  const lastText = content.filter((b) => b.type === 'text').at(-1)
  if (lastText?.type === 'text' && lastText.text.trimStart().startsWith('/')) {
    content.push({ type: 'text', text: '' })
  }
  return JSON.stringify({
    type: 'user',
    session_id: '',
    message: { role: 'user', content },
    parent_tool_use_id: null,
  })
}

export const parseCliLine = (line: string): CliMessage | null => {
  if (line.trim() === '') return null
  try {
    const value: unknown = JSON.parse(line)
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as CliMessage
  } catch {
    // fall through
  }
  throw new CliProtocolError('The Claude Code CLI printed malformed output')
}

/** Turns CLI messages into run events and remembers what the final mapping needs. */
export const createCliTranslator = (request: Pick<RunRequest, 'jsonSchema' | 'maxTurns'>) => {
  let lastRetry: Extract<RunEvent, { type: 'retry' }> | undefined
  let apiErrorKind: string | undefined
  let result: CliMessage | undefined

  const translate = (msg: CliMessage): RunEvent[] => {
    const topLevel = msg.parent_tool_use_id == null
    switch (msg.type) {
      case 'system':
        if (msg.subtype === 'init') {
          return [{ type: 'init', sessionId: String(msg.session_id), model: String(msg.model) }]
        }
        if (msg.subtype === 'api_retry') {
          lastRetry = {
            type: 'retry',
            attempt: Number(msg.attempt ?? 0),
            maxRetries: Number(msg.max_retries ?? 0),
            delayMs: Number(msg.retry_delay_ms ?? 0),
            errorStatus: typeof msg.error_status === 'number' ? msg.error_status : null,
            error: String(msg.error ?? 'unknown'),
          }
          return [lastRetry]
        }
        return []
      case 'stream_event': {
        const event = msg.event
        if (
          topLevel &&
          event?.type === 'content_block_delta' &&
          event.delta?.type === 'text_delta' &&
          typeof event.delta.text === 'string'
        ) {
          return [{ type: 'text_delta', text: event.delta.text }]
        }
        return []
      }
      case 'assistant': {
        if (msg.is_api_error_message || msg.message?.model === '<synthetic>') {
          if (typeof msg.error === 'string') apiErrorKind = msg.error
          return []
        }
        const content: unknown[] = Array.isArray(msg.message?.content) ? msg.message.content : []
        const events: RunEvent[] = [{ type: 'assistant', content }]
        for (const block of content as CliMessage[]) {
          if (block?.type === 'tool_use') {
            events.push({
              type: 'tool_use',
              id: String(block.id),
              name: String(block.name),
              input: block.input,
            })
          }
        }
        return events
      }
      case 'user': {
        const content = msg.message?.content
        if (!Array.isArray(content) || msg.isReplay) return []
        return (content as CliMessage[])
          .filter((b) => b?.type === 'tool_result')
          .map((b) => ({
            type: 'tool_result' as const,
            toolUseId: String(b.tool_use_id),
            content: b.content,
            isError: b.is_error === true,
          }))
      }
      case 'result': {
        result = msg
        return []
      }
      default:
        return []
    }
  }

  /** The run's outcome once the CLI is done: the result, or the error that explains it. */
  const finish = (): RunResult => {
    if (!result) throw new CliProtocolError('The Claude Code CLI ended without a result')
    let error = resultError(result, { apiErrorKind, lastRetry, maxTurns: request.maxTurns })
    if (error instanceof MaxTurnsError && request.jsonSchema !== undefined) {
      // With a schema, running out of turns means the model never produced valid output.
      error = new StructuredOutputError(
        'The model did not produce output that matches the JSON schema within max_turns'
      )
    }
    if (error) {
      // The CLI's own words, for the server log only.
      error.cause ??= result.result ?? result.errors
      throw error
    }
    const run = toRunResult(result)
    if (request.jsonSchema !== undefined && run.structuredOutput === undefined) {
      throw new StructuredOutputError(
        'The model answered without producing output for the requested JSON schema'
      )
    }
    return run
  }

  return { translate, finish, hasResult: () => result !== undefined }
}

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
