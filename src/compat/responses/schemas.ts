/**
 * The Responses API request as the official `openai` client, the OpenAI Agents SDK and Codex
 * CLI send it (see docs/sdk-compatibility.md for what each field does here).
 */
import * as v from 'valibot'
import { ignored } from '../fields.js'
import { Metadata } from '../openai/schemas.js'

const Optional = v.optional(v.unknown())

const InputText = v.object({ type: v.literal('input_text'), text: v.string() })
const OutputText = v.object({
  type: v.literal('output_text'),
  text: v.string(),
  annotations: Optional,
  logprobs: Optional,
})
const InputImage = v.object({
  type: v.literal('input_image'),
  image_url: v.nullish(v.string()),
  file_id: v.nullish(v.string()),
  detail: Optional,
})
const InputFile = v.object({
  type: v.literal('input_file'),
  file_data: v.nullish(v.string()),
  file_id: v.nullish(v.string()),
  file_url: v.nullish(v.string()),
  filename: v.nullish(v.string()),
})
const Refusal = v.object({ type: v.literal('refusal'), refusal: v.string() })
export const Part = v.variant('type', [InputText, OutputText, InputImage, InputFile, Refusal])
export type Part = v.InferOutput<typeof Part>

export const MessageItem = v.object({
  type: v.optional(v.literal('message')),
  role: v.picklist(['user', 'assistant', 'system', 'developer']),
  content: v.union([v.string(), v.array(Part)]),
  id: Optional,
  status: Optional,
})
export const FunctionCallItem = v.object({
  type: v.literal('function_call'),
  call_id: v.string(),
  name: v.string(),
  arguments: v.string(),
  id: Optional,
  status: Optional,
  namespace: Optional,
})
export const FunctionCallOutputItem = v.object({
  type: v.literal('function_call_output'),
  call_id: v.string(),
  output: v.union([v.string(), v.array(Part)]),
  id: Optional,
  status: Optional,
})
/** What a stateless client sends back of earlier reasoning: kept out of the run's history. */
const ReasoningItem = v.looseObject({ type: v.literal('reasoning') })
/** Any other item (a hosted tool's call, a reference): refused by type in request.ts. */
const OtherItem = v.looseObject({ type: v.string() })

export const InputItem = v.union([
  MessageItem,
  FunctionCallItem,
  FunctionCallOutputItem,
  ReasoningItem,
  OtherItem,
])
export type InputItem = v.InferOutput<typeof InputItem>

export const FunctionTool = v.object({
  type: v.literal('function'),
  name: v.string(),
  description: v.nullish(v.string()),
  parameters: v.nullish(v.record(v.string(), v.unknown())),
  strict: v.nullish(v.boolean()),
})
/** Hosted and grouped tools (`web_search`, `namespace`, …): mapped or left out (tools.ts). */
const OtherTool = v.looseObject({ type: v.string(), name: v.optional(v.string()) })

const Format = v.variant('type', [
  v.object({ type: v.literal('text') }),
  v.object({ type: v.literal('json_object') }),
  v.object({
    type: v.literal('json_schema'),
    name: v.optional(v.string()),
    schema: v.record(v.string(), v.unknown()),
    description: v.nullish(v.string()),
    strict: v.nullish(v.boolean()),
  }),
])

export const EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const

// Loose: fields this server does not know are refused by name (request.ts), never dropped.
export const ResponsesRequest = v.looseObject({
  model: v.string(),
  input: v.optional(v.union([v.string(), v.array(InputItem)])),
  instructions: v.nullish(v.string()),
  max_output_tokens: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(1))),
  previous_response_id: v.nullish(v.string()),
  reasoning: v.nullish(
    v.object({
      effort: v.nullish(v.picklist(EFFORTS)),
      summary: v.nullish(v.picklist(['auto', 'concise', 'detailed'])),
      generate_summary: Optional,
    })
  ),
  text: v.optional(v.object({ format: v.optional(Format), verbosity: Optional })),
  tools: v.optional(v.array(v.union([FunctionTool, OtherTool]))),
  tool_choice: v.optional(
    v.union([
      v.picklist(['auto', 'none', 'required']),
      v.object({
        type: v.literal('function'),
        name: v.string(),
        namespace: v.optional(v.string()),
      }),
      v.looseObject({ type: v.string() }),
    ])
  ),
  parallel_tool_calls: v.nullish(v.boolean()),
  /** Hosted tool calls at most, counted in model turns (request.ts). */
  max_tool_calls: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100))),
  store: v.nullish(v.boolean()),
  stream: v.nullish(v.boolean()),
  stream_options: Optional,
  metadata: Metadata,
  include: Optional,
  // Accepted, not honoured (the CLI has no such knobs): named in a response header.
  temperature: ignored(v.nullish(v.number())),
  top_p: ignored(v.nullish(v.number())),
  top_logprobs: ignored(Optional),
  // Accepted, no bearing on the answer.
  user: Optional,
  prompt_cache_key: Optional,
  prompt_cache_retention: Optional,
  safety_identifier: Optional,
  service_tier: Optional,
  truncation: Optional,
  client_metadata: Optional,
  // Refused with a reason (request.ts).
  background: v.nullish(v.boolean()),
  conversation: Optional,
  prompt: Optional,
  context_management: Optional,
})
export type ResponsesRequest = v.InferOutput<typeof ResponsesRequest>
