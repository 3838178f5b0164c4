/** The Messages request as the official `@anthropic-ai/sdk` client sends it. */
import * as v from 'valibot'
import { IMAGE_TYPES } from '../../run/schemas.js'

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
  content: v.optional(v.union([v.string(), v.array(v.variant('type', [TextBlock, ImageBlock]))])),
  is_error: v.optional(v.boolean()),
  cache_control: Optional,
})
export const Block = v.variant('type', [TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock])
export type Block = v.InferOutput<typeof Block>

/** A tool the client defines (`custom`); the API's server tools are not available here. */
const Tool = v.object({
  type: v.optional(v.literal('custom')),
  name: v.string(),
  description: v.optional(v.string()),
  input_schema: v.record(v.string(), v.unknown()),
  cache_control: Optional,
})

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
      v.object({
        role: v.picklist(['user', 'assistant']),
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
  // Accepted and ignored (the CLI has no such knobs): see docs/sdk-compatibility.md.
  temperature: v.optional(v.number()),
  top_p: v.optional(v.number()),
  top_k: v.optional(v.number()),
  stop_sequences: v.optional(v.array(v.string())),
  metadata: Optional,
  thinking: Optional,
  service_tier: Optional,
})
export type MessagesRequest = v.InferOutput<typeof MessagesRequest>
