/**
 * The CLI's stdout lines as `RunEvent`s (result.ts reads the final result). Pure, so it is
 * tested against the recorded fixtures. One function per CLI message type, over one state.
 */

import type { RunEvent, RunRequest, RunResult, ToolCall } from '../../../contract/runner.js'
import {
  BudgetExceededError,
  CliProtocolError,
  LoginExpiredError,
  MaxTurnsError,
  NotLoggedInError,
  StructuredOutputError,
  UpstreamAuthError,
} from '../../../errors/index.js'
import { type Quota, quotaError, quotaFromCli, usedUp } from '../../../run/quota.js'
import { clientToolName } from './client-tools.js'
import type { CliMessage } from './message.js'
import { resultError, toRunResult } from './result.js'
import { createUsageMeter, type UsageMeter } from './usage-meter.js'

type Retry = Extract<RunEvent, { type: 'retry' }>

/** What a run's messages leave behind for its outcome. */
interface TranslatorState {
  request: Pick<RunRequest, 'jsonSchema' | 'maxTurns' | 'thinking' | 'login'>
  meter: UsageMeter
  lastRetry?: Retry
  apiErrorKind?: string
  result?: CliMessage
  quota?: Quota
  init?: { sessionId: string; model: string }
  /** What the client gets when the run parks on its tools: this part's text and calls. */
  partText: string
  partCalls: ToolCall[]
  /** This part's thinking blocks (when asked for), and the one being streamed. */
  thinking: Array<{ thinking: string; signature: string }>
  thinkingText: string
  /** The model's answer hit the output token cap: the run ends there (converse.ts). */
  cut: boolean
}

const fromSystem = (state: TranslatorState, msg: CliMessage): RunEvent[] => {
  if (msg.subtype === 'init') {
    state.init = { sessionId: String(msg.session_id), model: String(msg.model) }
    return [{ type: 'init', ...state.init }]
  }
  if (msg.subtype !== 'api_retry') return []
  state.lastRetry = {
    type: 'retry',
    attempt: Number(msg.attempt ?? 0),
    maxRetries: Number(msg.max_retries ?? 0),
    delayMs: Number(msg.retry_delay_ms ?? 0),
    errorStatus: typeof msg.error_status === 'number' ? msg.error_status : null,
    error: String(msg.error ?? 'unknown'),
  }
  return [state.lastRetry]
}

const fromStreamEvent = (state: TranslatorState, msg: CliMessage): RunEvent[] => {
  const event = msg.event
  const topLevel = msg.parent_tool_use_id == null
  // Every API call counts, a sub-agent's too (a run killed mid-way is charged by this).
  if (topLevel && event?.type === 'message_delta' && event.delta?.stop_reason === 'max_tokens') {
    state.cut = true
  }
  const usage = state.meter.read(event, topLevel ? '' : String(msg.parent_tool_use_id))
  if (usage) return [usage]
  const delta = event?.type === 'content_block_delta' ? event.delta : undefined
  if (!topLevel || !delta) return []
  if (delta.type === 'text_delta' && typeof delta.text === 'string') {
    state.partText += delta.text
    return [{ type: 'text_delta', text: delta.text }]
  }
  return state.request.thinking ? fromThinking(state, delta) : []
}

/** Thinking as it streams, shown only when the request asked for it. */
const fromThinking = (state: TranslatorState, delta: CliMessage): RunEvent[] => {
  if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') {
    state.thinkingText += delta.thinking
    return [{ type: 'thinking_delta', text: delta.thinking }]
  }
  if (delta.type === 'signature_delta' && typeof delta.signature === 'string') {
    state.thinking.push({ thinking: state.thinkingText, signature: delta.signature })
    state.thinkingText = ''
    return [{ type: 'thinking_signature', signature: delta.signature }]
  }
  return []
}

const fromAssistant = (state: TranslatorState, msg: CliMessage): RunEvent[] => {
  if (msg.is_api_error_message || msg.message?.model === '<synthetic>') {
    if (typeof msg.error === 'string') state.apiErrorKind = msg.error
    return []
  }
  const topLevel = msg.parent_tool_use_id == null
  const content: unknown[] = Array.isArray(msg.message?.content) ? msg.message.content : []
  const events: RunEvent[] = [{ type: 'assistant', content }]
  for (const block of content as CliMessage[]) {
    if (block?.type !== 'tool_use') continue
    const clientName = topLevel ? clientToolName(String(block.name)) : undefined
    const call = { id: String(block.id), name: clientName ?? String(block.name) }
    if (clientName) state.partCalls.push({ ...call, input: block.input })
    events.push({
      type: 'tool_use',
      ...call,
      input: block.input,
      ...(clientName && { client: true }),
    })
  }
  return events
}

const fromUser = (_state: TranslatorState, msg: CliMessage): RunEvent[] => {
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

const fromResult = (state: TranslatorState, msg: CliMessage): RunEvent[] => {
  state.result = msg
  return []
}

const fromRateLimit = (state: TranslatorState, msg: CliMessage): RunEvent[] => {
  if (!msg.rate_limit_info || typeof msg.rate_limit_info !== 'object') return []
  state.quota = quotaFromCli(msg.rate_limit_info)
  return [{ type: 'quota', quota: state.quota }]
}

// A Map, not an object: a message type such as `toString` must not find a prototype method.
const readers = new Map<string, (state: TranslatorState, msg: CliMessage) => RunEvent[]>([
  ['system', fromSystem],
  ['stream_event', fromStreamEvent],
  ['assistant', fromAssistant],
  ['user', fromUser],
  ['result', fromResult],
  ['rate_limit_event', fromRateLimit],
])

/** The run's outcome once the CLI is done: the result, or the error that explains it. */
const finishRun = (state: TranslatorState): RunResult => {
  const { result, request } = state
  if (!result) throw new CliProtocolError('The Claude Code CLI ended without a result')
  let error = resultError(result, {
    apiErrorKind: state.apiErrorKind,
    lastRetry: state.lastRetry,
    maxTurns: request.maxTurns,
  })
  // The API refused the run because the login's quota is used up: say which window, and
  // when it resets (the CLI's own message has only a clock time).
  if (error && state.quota && usedUp(state.quota)) {
    error = quotaError(state.quota, Date.now(), request.login)
  }
  // A key's own login refused: its own error, never the server's login's.
  if (request.login && (error instanceof UpstreamAuthError || error instanceof NotLoggedInError)) {
    error = new LoginExpiredError(
      `The Anthropic API refused this key's Claude login (${request.login}): its token expired or was revoked. Add it again: claude-code-api logins add ${request.login} --replace`
    )
  }
  if (error instanceof MaxTurnsError && request.jsonSchema !== undefined) {
    // With a schema, running out of turns means the model never produced valid output.
    error = new StructuredOutputError(
      'The model did not produce output that matches the JSON schema within max_turns'
    )
  }
  const run = { ...toRunResult(result), ...thinkingOf(state) }
  const billed = { costUsd: run.totalCostUsd, usage: run.usage, model: run.model }
  // Paid for, so never thrown away: the answer as the budget left it. The CLI checks the budget
  // after each call, so an answer whose call ended its turn is whole.
  if (error instanceof BudgetExceededError && state.partText && !request.jsonSchema) {
    const whole = result.stop_reason === 'end_turn'
    return { ...run, text: state.partText, stopReason: whole ? 'end_turn' : 'budget' }
  }
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

const thinkingOf = (state: TranslatorState) =>
  state.thinking.length > 0 ? { thinking: state.thinking } : {}

/** The run parks on the client's tools: what it said and asked for since it last did. */
const suspendRun = (state: TranslatorState): RunResult => {
  const part: RunResult = {
    ...thinkingOf(state),
    text: state.partText,
    sessionId: state.init?.sessionId ?? null,
    model: state.init?.model ?? null,
    numTurns: 0,
    totalCostUsd: 0,
    durationMs: 0,
    // This part's tokens only: the next part's usage (what a run aborted after resuming is
    // charged by) counts from here.
    usage: state.meter.total(),
    modelUsage: null,
    toolCalls: state.partCalls,
  }
  state.meter.rebase()
  state.partText = ''
  state.partCalls = []
  state.thinking = []
  return part
}

/** Turns CLI messages into run events and remembers what the final mapping needs. */
export type CliTranslator = ReturnType<typeof createCliTranslator>

export const createCliTranslator = (request: TranslatorState['request']) => {
  const state: TranslatorState = {
    request,
    meter: createUsageMeter(),
    partText: '',
    partCalls: [],
    thinking: [],
    thinkingText: '',
    cut: false,
  }
  return {
    translate: (msg: CliMessage): RunEvent[] => readers.get(String(msg.type))?.(state, msg) ?? [],
    finish: () => finishRun(state),
    suspend: () => suspendRun(state),
    /** The answer hit the output token cap (the CLI would go on asking for more). */
    cutShort: () => state.cut,
    /** The run's answer as it stood at the cap: what the client asked for is what it gets. */
    cut: (): RunResult => ({
      ...suspendRun(state),
      toolCalls: undefined,
      stopReason: 'max_tokens',
    }),
    hasResult: () => state.result !== undefined,
    /** The CLI reported an error (then it exits 1), whose result may still be an answer. */
    reportedError: () => state.result?.is_error === true,
  }
}
