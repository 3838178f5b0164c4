/**
 * The native stream's events (`/llm/chat/stream`, `/llm/query/stream`) as a schema: the encoder
 * writes them, and the API client runner and the chat page read them (lib/read-events.ts).
 */
import * as v from 'valibot'
import { ModelUsage, ToolCall } from './events.js'
import { Usage } from './run.js'

/** What `/llm/query/stream` sends after a successful result. */
export const NativeResultEvent = v.object({
  type: v.literal('result'),
  session_id: v.nullable(v.string()),
  num_turns: v.number(),
  total_cost_usd: v.number(),
  duration_ms: v.number(),
  usage: v.nullable(Usage),
  model_usage: v.nullable(ModelUsage),
  tool_calls: v.nullable(v.array(ToolCall)),
})

/** A failure once the run has started (earlier ones are HTTP errors). */
export const NativeErrorEvent = v.object({
  type: v.literal('error'),
  message: v.string(),
  error_type: v.string(),
  /** Seconds to wait before sending the request again, when it may succeed then. */
  retry_after: v.optional(v.number()),
})

export const NativeStreamEvent = v.variant('type', [
  v.object({ type: v.literal('start') }),
  v.object({ type: v.literal('chunk'), text: v.string() }),
  v.object({ type: v.literal('tool_call'), ...ToolCall.entries }),
  NativeResultEvent,
  NativeErrorEvent,
  v.object({ type: v.literal('end') }),
])

export type NativeStreamEvent = v.InferOutput<typeof NativeStreamEvent>
export type NativeErrorEvent = v.InferOutput<typeof NativeErrorEvent>
export type NativeResultEvent = v.InferOutput<typeof NativeResultEvent>
