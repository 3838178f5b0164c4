/** Messages response bodies: the message and its usage. */
import type { RunResult } from '../../contract/runner.js'

export const messageId = () => `msg_${crypto.randomUUID().replaceAll('-', '')}`

export const usageOf = (result: RunResult | null) => ({
  input_tokens: result?.usage?.input_tokens ?? 0,
  output_tokens: result?.usage?.output_tokens ?? 0,
  cache_creation_input_tokens: result?.usage?.cache_creation_input_tokens ?? 0,
  cache_read_input_tokens: result?.usage?.cache_read_input_tokens ?? 0,
})

/**
 * Why the message ended: a limit or stop sequence the run reports, a tool call, or its end. A
 * budget spent mid-way is a limit the API has no word for: `max_tokens`, the limit it names.
 */
export const stopReason = (result: RunResult) =>
  result.stopReason === 'budget'
    ? 'max_tokens'
    : result.stopReason === 'max_tokens' || result.stopReason === 'stop_sequence'
      ? result.stopReason
      : result.toolCalls?.length
        ? 'tool_use'
        : 'end_turn'

const contentOf = (result: RunResult) => [
  ...(result.thinking ?? []).map((block) => ({ type: 'thinking', ...block })),
  ...(result.text || !result.toolCalls?.length ? [{ type: 'text', text: result.text }] : []),
  ...(result.toolCalls ?? []).map((call) => ({
    type: 'tool_use',
    id: call.id,
    name: call.name,
    input: call.input ?? {},
  })),
]

/** The message; the stream's `message_start` carries it empty, without usage yet. */
export const messageBody = (model: string, result: RunResult | null, id = messageId()) => ({
  id,
  type: 'message',
  role: 'assistant',
  model,
  content: result ? contentOf(result) : [],
  stop_reason: result ? stopReason(result) : null,
  stop_sequence: result?.stopSequence ?? null,
  usage: usageOf(result),
})
