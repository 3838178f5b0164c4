/**
 * The Messages request as the official `@anthropic-ai/sdk` client and Claude Code send it (see
 * docs/sdk-compatibility.md for what each field does here).
 */
import * as v from 'valibot'
import { EFFORTS, IMAGE_TYPES } from '../../contract/run.js'
import { ignored } from '../fields.js'

const Optional = v.optional(v.unknown())
const TextBlock = v.object({
  type: v.literal('text'),
  text: v.string(),
  cache_control: Optional,
  citations: Optional,
})
const ImageBlock = v.object({
  type: v.literal('image'),
  source: v.variant('type', [
    v.object({ type: v.literal('base64'), media_type: v.picklist(IMAGE_TYPES), data: v.string() }),
    v.object({ type: v.literal('url'), url: v.string() }),
  ]),
  cache_control: Optional,
})

const DocumentBlock = v.object({
  type: v.literal('document'),
  source: v.variant('type', [
    v.object({ type: v.literal('base64'), media_type: v.string(), data: v.string() }),
    v.object({ type: v.literal('text'), media_type: v.optional(v.string()), data: v.string() }),
    v.object({ type: v.literal('url'), url: v.string() }),
    v.object({ type: v.literal('content'), content: v.unknown() }),
    v.object({ type: v.literal('file'), file_id: v.string() }),
  ]),
  title: v.nullish(v.string()),
  context: v.nullish(v.string()),
  citations: Optional,
  cache_control: Optional,
})
/** The model's earlier thinking, sent back in the history (with the API's signature). */
const ThinkingBlock = v.object({
  type: v.literal('thinking'),
  thinking: v.string(),
  signature: v.optional(v.string()),
  cache_control: Optional,
})
const RedactedThinkingBlock = v.object({
  type: v.literal('redacted_thinking'),
  data: v.string(),
  cache_control: Optional,
})

const ToolUseBlock = v.object({
  type: v.literal('tool_use'),
  id: v.string(),
  name: v.string(),
  input: v.unknown(),
  cache_control: Optional,
})
const ToolResultBlock = v.object({
  type: v.literal('tool_result'),
  tool_use_id: v.string(),
  content: v.optional(
    v.union([v.string(), v.array(v.variant('type', [TextBlock, ImageBlock, DocumentBlock]))])
  ),
  is_error: v.optional(v.boolean()),
  cache_control: Optional,
})
export const Block = v.variant('type', [
  TextBlock,
  ImageBlock,
  DocumentBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
  ToolUseBlock,
  ToolResultBlock,
])
export type Block = v.InferOutput<typeof Block>

/** A tool the client defines (`custom`); the API's server tools are not available here. */
const Tool = v.object({
  type: v.optional(v.literal('custom')),
  name: v.string(),
  description: v.optional(v.string()),
  input_schema: v.record(v.string(), v.unknown()),
  cache_control: Optional,
  // Hints about how the client streams or loads the tool; they do not change what it does.
  defer_loading: Optional,
  eager_input_streaming: Optional,
  strict: Optional,
  input_examples: Optional,
})

const Thinking = v.variant('type', [
  v.object({
    type: v.literal('enabled'),
    budget_tokens: v.optional(v.number()),
    display: v.optional(v.string()),
  }),
  v.object({ type: v.literal('adaptive'), display: v.optional(v.string()) }),
  v.object({ type: v.literal('disabled') }),
])

const ToolChoice = v.variant('type', [
  v.object({
    type: v.picklist(['auto', 'any', 'none']),
    disable_parallel_tool_use: v.optional(v.boolean()),
  }),
  v.object({
    type: v.literal('tool'),
    name: v.string(),
    disable_parallel_tool_use: v.optional(v.boolean()),
  }),
])

// Loose: fields this server does not know are refused by name (request.ts), never dropped.
export const MessagesRequest = v.looseObject({
  model: v.string(),
  max_tokens: v.pipe(v.number(), v.integer(), v.minValue(1)),
  messages: v.pipe(
    v.array(
      // Claude Code sends `system` entries between the turns (the per-turn-control beta).
      v.object({
        role: v.picklist(['user', 'assistant', 'system']),
        content: v.union([v.string(), v.array(Block)]),
      })
    ),
    v.minLength(1)
  ),
  system: v.optional(v.union([v.string(), v.array(TextBlock)])),
  stream: v.optional(v.boolean()),
  tools: v.optional(v.array(Tool)),
  /** The message-threads beta: the server holds the conversation (threads.ts). */
  thread: v.optional(
    v.variant('type', [
      v.object({ type: v.literal('create') }),
      v.object({ type: v.literal('continue'), previous_message_id: v.string() }),
    ])
  ),
  tool_choice: v.optional(ToolChoice),
  stop_sequences: v.optional(v.array(v.string())),
  thinking: v.optional(Thinking),
  output_config: v.optional(
    v.object({ effort: v.optional(v.picklist(EFFORTS)), format: Optional })
  ),
  // Accepted, not honoured (the CLI has no such knobs): named in a response header.
  temperature: ignored(v.optional(v.number())),
  top_p: ignored(v.optional(v.number())),
  top_k: ignored(v.optional(v.number())),
  // Accepted, no bearing on the answer.
  metadata: Optional,
  service_tier: Optional,
  context_management: Optional,
  inference_geo: Optional,
  // Documented by the API, refused with a reason (request.ts).
  container: Optional,
  mcp_servers: Optional,
})
export type MessagesRequest = v.InferOutput<typeof MessagesRequest>

/** What count_tokens takes: a Messages request without `max_tokens` (checked loosely: it runs nothing). */
export const CountTokensRequest = v.looseObject({
  model: v.string(),
  messages: v.pipe(
    v.array(v.looseObject({ role: v.string(), content: v.unknown() })),
    v.minLength(1)
  ),
  system: v.optional(v.unknown()),
  tools: v.optional(v.array(v.unknown())),
})
