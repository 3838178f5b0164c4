/**
 * The CLI's stdout lines as `RunEvent`s (result.ts reads the final result). Pure, so it is
 * tested against the recorded fixtures.
 */
import { CliProtocolError, MaxTurnsError, StructuredOutputError } from '../../../errors/index.js'
import { type Quota, quotaError, quotaFromCli } from '../../../run/quota.js'
import type { RunEvent, RunRequest, RunResult, ToolCall, Usage } from '../../../runner.js'
import { clientToolName } from './client-tools.js'
import type { CliMessage } from './message.js'
import { resultError, toRunResult } from './result.js'

/**
 * Adds up the tokens of a run's API calls from the stream, sub-agents' included (each call is
 * a stream of its own, by the tool call that started it): input and cache tokens arrive with a
 * call's `message_start`, output tokens with its `message_delta`.
 */
const createUsageMeter = () => {
  const done: Usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  }
  /** The call in progress of each stream (the run's own is `''`). */
  const current = new Map<string, Usage>()
  let model = ''
  const total = (): Usage => {
    const sum = { ...done }
    for (const usage of current.values()) {
      sum.input_tokens += usage.input_tokens
      sum.output_tokens += usage.output_tokens
      sum.cache_read_input_tokens += usage.cache_read_input_tokens
      sum.cache_creation_input_tokens += usage.cache_creation_input_tokens
    }
    return sum
  }
  const read = (event: CliMessage | undefined, stream: string): RunEvent | undefined => {
    const call = current.get(stream)
    if (event?.type === 'message_start' && event.message?.usage) {
      if (call) {
        done.input_tokens += call.input_tokens
        done.output_tokens += call.output_tokens
        done.cache_read_input_tokens += call.cache_read_input_tokens
        done.cache_creation_input_tokens += call.cache_creation_input_tokens
      }
      const u = event.message.usage
      // The run's own model prices the run (a sub-agent's is usually no dearer).
      if (!stream || !model) model = String(event.message.model ?? model)
      current.set(stream, {
        input_tokens: Number(u.input_tokens ?? 0),
        output_tokens: Number(u.output_tokens ?? 0),
        cache_read_input_tokens: Number(u.cache_read_input_tokens ?? 0),
        cache_creation_input_tokens: Number(u.cache_creation_input_tokens ?? 0),
      })
    } else if (event?.type === 'message_delta' && event.usage && call) {
      call.output_tokens = Number(event.usage.output_tokens ?? call.output_tokens)
    } else {
      return undefined
    }
    return { type: 'usage', usage: total(), model }
  }
  /** Starts counting anew (a part of the turn was charged): usage from here on is the next part's. */
  const rebase = () => {
    done.input_tokens = 0
    done.output_tokens = 0
    done.cache_read_input_tokens = 0
    done.cache_creation_input_tokens = 0
    current.clear()
  }
  return { read, total, rebase }
}

/** Turns CLI messages into run events and remembers what the final mapping needs. */
export type CliTranslator = ReturnType<typeof createCliTranslator>

export const createCliTranslator = (request: Pick<RunRequest, 'jsonSchema' | 'maxTurns'>) => {
  let lastRetry: Extract<RunEvent, { type: 'retry' }> | undefined
  let apiErrorKind: string | undefined
  let result: CliMessage | undefined
  let quota: Quota | undefined
  const meter = createUsageMeter()
  // What the client gets when the run parks on its tools: this part's text and calls.
  let init: { sessionId: string; model: string } | undefined
  let partText = ''
  let partCalls: ToolCall[] = []

  const translate = (msg: CliMessage): RunEvent[] => {
    const topLevel = msg.parent_tool_use_id == null
    switch (msg.type) {
      case 'system':
        if (msg.subtype === 'init') {
          init = { sessionId: String(msg.session_id), model: String(msg.model) }
          return [{ type: 'init', ...init }]
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
        // Every API call counts, a sub-agent's too (a run killed mid-way is charged by this).
        const usage = meter.read(event, topLevel ? '' : String(msg.parent_tool_use_id))
        if (usage) return [usage]
        if (
          topLevel &&
          event?.type === 'content_block_delta' &&
          event.delta?.type === 'text_delta' &&
          typeof event.delta.text === 'string'
        ) {
          partText += event.delta.text
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
          if (block?.type !== 'tool_use') continue
          const clientName = topLevel ? clientToolName(String(block.name)) : undefined
          const call = { id: String(block.id), name: clientName ?? String(block.name) }
          if (clientName) partCalls.push({ ...call, input: block.input })
          events.push({
            type: 'tool_use',
            ...call,
            input: block.input,
            ...(clientName && { client: true }),
          })
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
      case 'rate_limit_event': {
        if (!msg.rate_limit_info || typeof msg.rate_limit_info !== 'object') return []
        quota = quotaFromCli(msg.rate_limit_info)
        return [{ type: 'quota', quota }]
      }
      default:
        return []
    }
  }

  /** The run's outcome once the CLI is done: the result, or the error that explains it. */
  const finish = (): RunResult => {
    if (!result) throw new CliProtocolError('The Claude Code CLI ended without a result')
    let error = resultError(result, { apiErrorKind, lastRetry, maxTurns: request.maxTurns })
    // The API refused the run because the login's quota is used up: say which window, and
    // when it resets (the CLI's own message has only a clock time).
    if (error && quota?.status === 'rejected') error = quotaError(quota)
    if (error instanceof MaxTurnsError && request.jsonSchema !== undefined) {
      // With a schema, running out of turns means the model never produced valid output.
      error = new StructuredOutputError(
        'The model did not produce output that matches the JSON schema within max_turns'
      )
    }
    const run = toRunResult(result)
    const billed = { costUsd: run.totalCostUsd, usage: run.usage, model: run.model }
    if (error) {
      // The CLI's own words, for the server log only.
      error.cause ??= result.result ?? result.errors
      error.billed = billed
      throw error
    }
    if (request.jsonSchema !== undefined && run.structuredOutput === undefined) {
      throw new StructuredOutputError(
        'The model answered without producing output for the requested JSON schema',
        { billed }
      )
    }
    return run
  }

  /** The run parks on the client's tools: what it said and asked for since it last did. */
  const suspend = (): RunResult => {
    const part: RunResult = {
      text: partText,
      sessionId: init?.sessionId ?? null,
      model: init?.model ?? null,
      numTurns: 0,
      totalCostUsd: 0,
      durationMs: 0,
      // This part's tokens only: the next part's usage (what a run aborted after resuming is
      // charged by) counts from here.
      usage: meter.total(),
      modelUsage: null,
      toolCalls: partCalls,
    }
    meter.rebase()
    partText = ''
    partCalls = []
    return part
  }

  return { translate, finish, suspend, hasResult: () => result !== undefined }
}
