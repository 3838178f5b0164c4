/** The Chat Completions request as the official `openai` client sends it. */
import * as v from 'valibot'
import { ignored } from '../fields.js'

const TextPart = v.object({ type: v.literal('text'), text: v.string() })
const ImagePart = v.object({
  type: v.literal('image_url'),
  image_url: v.object({ url: v.string(), detail: v.optional(v.string()) }),
})
/** A file as OpenAI sends it: a data URL (a PDF or plain text here), never a stored file. */
const FilePart = v.object({
  type: v.literal('file'),
  file: v.object({
    file_data: v.optional(v.string()),
    file_id: v.optional(v.string()),
    filename: v.optional(v.string()),
  }),
})
const Text = v.union([v.string(), v.array(TextPart)])
const Optional = v.optional(v.unknown())

/**
 * `metadata` as OpenAI bounds it (16 pairs, keys up to 64 characters, string values up to 512):
 * a response echoes and keeps it, so an unbounded one is memory any key could fill.
 */
export const Metadata = v.nullish(
  v.pipe(
    v.record(
      v.pipe(v.string(), v.maxLength(64, 'metadata: keys are at most 64 characters')),
      v.pipe(
        v.string('metadata: values are strings'),
        v.maxLength(512, 'metadata: values are at most 512 characters')
      )
    ),
    v.check((pairs) => Object.keys(pairs).length <= 16, 'metadata: at most 16 pairs')
  )
)

const ToolCall = v.object({
  id: v.string(),
  type: v.optional(v.literal('function')),
  function: v.object({ name: v.string(), arguments: v.string() }),
})

export const FunctionTool = v.object({
  type: v.literal('function'),
  function: v.object({
    name: v.string(),
    description: v.optional(v.string()),
    parameters: v.optional(v.record(v.string(), v.unknown())),
    strict: v.nullish(v.boolean()),
  }),
})

export const ToolChoice = v.union([
  v.picklist(['auto', 'none', 'required']),
  v.object({ type: v.literal('function'), function: v.object({ name: v.string() }) }),
])

const Message = v.variant('role', [
  v.object({
    role: v.picklist(['system', 'developer']),
    content: Text,
    name: v.optional(v.string()),
  }),
  v.object({
    role: v.literal('user'),
    content: v.union([v.string(), v.array(v.variant('type', [TextPart, ImagePart, FilePart]))]),
    name: v.optional(v.string()),
  }),
  v.object({
    role: v.literal('assistant'),
    content: v.nullish(Text),
    tool_calls: v.nullish(v.array(ToolCall)),
    function_call: Optional,
    refusal: Optional,
    name: v.optional(v.string()),
  }),
  v.object({ role: v.literal('tool'), content: Text, tool_call_id: v.string() }),
  v.object({ role: v.literal('function'), content: Optional, name: Optional }),
])

export const ChatCompletionRequest = v.object({
  model: v.string(),
  messages: v.pipe(v.array(Message), v.minLength(1)),
  stream: v.nullish(v.boolean()),
  stream_options: v.nullish(v.object({ include_usage: v.optional(v.boolean()) })),
  response_format: v.optional(
    v.variant('type', [
      v.object({ type: v.literal('text') }),
      v.object({ type: v.literal('json_object') }),
      v.object({
        type: v.literal('json_schema'),
        json_schema: v.object({
          name: v.string(),
          description: v.optional(v.string()),
          schema: v.optional(v.record(v.string(), v.unknown())),
          strict: v.nullish(v.boolean()),
        }),
      }),
    ])
  ),
  n: v.nullish(v.number()),
  logprobs: v.nullish(v.boolean()),
  tools: v.nullish(v.array(FunctionTool)),
  functions: v.nullish(v.array(v.unknown())),
  modalities: v.nullish(v.array(v.string())),
  max_tokens: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(1))),
  max_completion_tokens: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(1))),
  stop: v.nullish(v.union([v.string(), v.pipe(v.array(v.string()), v.maxLength(4))])),
  reasoning_effort: v.nullish(v.picklist(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'])),
  // Accepted, not honoured (the CLI has no such knobs): named in a response header.
  temperature: ignored(v.nullish(v.number())),
  top_p: ignored(v.nullish(v.number())),
  presence_penalty: ignored(v.nullish(v.number())),
  frequency_penalty: ignored(v.nullish(v.number())),
  seed: ignored(v.nullish(v.number())),
  user: v.nullish(v.string()),
  tool_choice: v.nullish(ToolChoice),
  function_call: Optional,
  parallel_tool_calls: v.nullish(v.boolean()),
  logit_bias: ignored(Optional),
  top_logprobs: Optional,
  metadata: Metadata,
  store: Optional,
  service_tier: Optional,
  prediction: Optional,
  audio: Optional,
})
export type ChatCompletionRequest = v.InferOutput<typeof ChatCompletionRequest>
