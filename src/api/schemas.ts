/**
 * Request and response schemas. The same valibot schemas validate requests and generate
 * /openapi.json. Field names follow the Python original so its clients keep working.
 */
import * as v from 'valibot'
import { MODEL_ALIASES, MODEL_PATTERN, TOOL_PATTERN } from '../run/models.js'

const Model = v.pipe(
  v.string(),
  v.regex(
    MODEL_PATTERN,
    `must be an alias (${MODEL_ALIASES.join(', ')}) or a model id of letters, digits and .-_:[] not starting with "-"`
  ),
  v.description('A model alias (haiku, sonnet, opus, …) or a model id.')
)

const System = v.nullish(
  v.pipe(v.string(), v.description('Replaces the default system prompt. "" counts as none.'))
)

const TimeoutMs = v.optional(
  v.pipe(
    v.number(),
    v.integer(),
    v.minValue(1_000),
    v.description('Deadline for this run in milliseconds (capped by the server).')
  )
)

const ToolName = v.pipe(v.string(), v.regex(TOOL_PATTERN, 'must be a built-in tool name'))

export const ChatRequest = v.object({
  prompt: v.pipe(v.string(), v.description('The user prompt.')),
  system: System,
  model: v.optional(Model, 'haiku'),
  max_turns: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10)), 1),
  timeout_ms: TimeoutMs,
})
export type ChatRequest = v.InferOutput<typeof ChatRequest>

export const JsonRequest = v.object({
  ...ChatRequest.entries,
  schema: v.optional(
    v.pipe(
      v.record(v.string(), v.unknown()),
      v.description(
        'A JSON Schema the answer must satisfy. When given, the CLI produces structured output and the server validates it.'
      )
    )
  ),
})
export type JsonRequest = v.InferOutput<typeof JsonRequest>

export const ImageInput = v.object({
  data: v.pipe(
    v.string(),
    v.minLength(1),
    v.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64 without a data: prefix'),
    v.description('Base64 image bytes.')
  ),
  media_type: v.optional(
    v.picklist(['image/png', 'image/jpeg', 'image/gif', 'image/webp']),
    'image/png'
  ),
})

export const QueryRequest = v.object({
  prompt: v.string(),
  images: v.nullish(v.pipe(v.array(ImageInput), v.maxLength(20))),
  system: System,
  append_system: v.nullish(
    v.pipe(
      v.string(),
      v.description('Appended to the system prompt (the default one if no system).')
    )
  ),
  model: v.optional(Model, 'haiku'),
  max_turns: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)), 1),
  allowed_tools: v.nullish(
    v.pipe(
      v.array(ToolName),
      v.description('Built-in tools to allow; must be within the server policy (default none).')
    )
  ),
  disallowed_tools: v.nullish(v.array(ToolName)),
  session_id: v.nullish(
    v.pipe(v.string(), v.uuid('must be a UUID'), v.description('Resume this session.'))
  ),
  persist_session: v.optional(
    v.pipe(v.boolean(), v.description('Keep this session so it can be resumed with session_id.')),
    false
  ),
  continue_session: v.optional(v.boolean(), false),
  max_budget_usd: v.nullish(v.pipe(v.number(), v.minValue(0.01), v.maxValue(100))),
  timeout_ms: TimeoutMs,
})
export type QueryRequest = v.InferOutput<typeof QueryRequest>

const Usage = v.nullable(
  v.object({
    input_tokens: v.number(),
    output_tokens: v.number(),
    cache_read_input_tokens: v.number(),
    cache_creation_input_tokens: v.number(),
  })
)

export const ChatResponse = v.object({
  text: v.string(),
  model: v.string(),
  is_error: v.boolean(),
  error_message: v.nullable(v.string()),
  session_id: v.nullable(v.string()),
  usage: Usage,
  total_cost_usd: v.number(),
  duration_ms: v.number(),
})

export const QueryResponse = v.object({
  ...ChatResponse.entries,
  num_turns: v.number(),
  model_usage: v.nullable(v.record(v.string(), v.record(v.string(), v.number()))),
})

export const ErrorResponse = v.object({
  detail: v.string(),
  type: v.string(),
  errors: v.optional(v.array(v.object({ field: v.string(), message: v.string() }))),
  reset_at: v.optional(v.pipe(v.string(), v.description('When a rate limit resets (ISO 8601).'))),
})

export const HealthResponse = v.object({
  status: v.literal('ok'),
  service: v.string(),
  version: v.string(),
})

export const StatusResponse = v.object({
  available: v.boolean(),
  binary_path: v.nullable(v.string()),
  binary_source: v.nullable(v.string()),
  version: v.nullable(v.string()),
  logged_in: v.nullable(v.boolean()),
  auth_method: v.nullable(v.string()),
  hosts: v.optional(v.array(v.object({ url: v.string(), up: v.boolean() }))),
  capacity: v.object({
    max_concurrency: v.number(),
    running: v.number(),
    queued: v.number(),
    max_queue: v.number(),
  }),
})

export const ModelsResponse = v.object({
  models: v.array(
    v.object({
      id: v.string(),
      api_id: v.string(),
      name: v.string(),
      description: v.string(),
      input_price: v.nullable(v.string()),
      output_price: v.nullable(v.string()),
    })
  ),
})

/** A `RunRequest` as the runner host receives it (the runner protocol, v1). */
const Content = v.union([
  v.string(),
  v.array(
    v.variant('type', [
      v.object({ type: v.literal('text'), text: v.string() }),
      v.object({
        type: v.literal('image'),
        source: v.object({ type: v.literal('base64'), media_type: v.string(), data: v.string() }),
      }),
    ])
  ),
])

export const RunRequestSchema = v.object({
  prompt: Content,
  history: v.optional(
    v.array(v.object({ role: v.picklist(['user', 'assistant']), content: Content }))
  ),
  systemPrompt: v.optional(v.string()),
  appendSystemPrompt: v.optional(v.string()),
  model: v.optional(Model),
  maxTurns: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  jsonSchema: v.optional(v.record(v.string(), v.unknown())),
  allowedTools: v.optional(v.array(ToolName)),
  disallowedTools: v.optional(v.array(ToolName)),
  resumeSessionId: v.optional(v.string()),
  persistSession: v.optional(v.boolean()),
  owner: v.optional(v.string()),
  maxBudgetUsd: v.optional(v.pipe(v.number(), v.minValue(0))),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
})
