/**
 * Request and response schemas. The same valibot schemas validate requests and generate
 * /openapi.json. Field names follow the Python original so its clients keep working.
 */
import * as v from 'valibot'
import {
  ContentBlock,
  HistoryTurn,
  IMAGE_TYPES,
  ModelName as Model,
  ToolName,
  Usage as UsageObject,
} from '../contract/run.js'

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
  media_type: v.optional(v.picklist(IMAGE_TYPES), 'image/png'),
})

const NativeTool = v.object({
  name: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -')
  ),
  description: v.optional(v.string()),
  input_schema: v.pipe(
    v.record(v.string(), v.unknown()),
    v.description('JSON Schema of the tool input.')
  ),
})

const NativeToolResult = v.object({
  tool_use_id: v.string(),
  content: v.union([v.string(), v.array(ContentBlock)]),
  is_error: v.optional(v.boolean()),
})

export const QueryRequest = v.object({
  prompt: v.string(),
  images: v.nullish(v.pipe(v.array(ImageInput), v.maxLength(20))),
  history: v.nullish(
    v.pipe(
      v.array(HistoryTurn),
      v.maxLength(1_000),
      v.description(
        'Earlier turns, oldest first (`role` user or assistant; `content` text or text and image blocks), sent to the model as real earlier messages: for clients that keep the conversation themselves. Not with `session_id`.'
      )
    )
  ),
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
    v.pipe(
      v.string(),
      // A front door adds `~<host>` so the session is resumed on the runner host that keeps it.
      v.regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(~[0-9a-z]{1,13})?$/i,
        'must be a session id returned earlier'
      ),
      v.description('Resume this session.')
    )
  ),
  persist_session: v.optional(
    v.pipe(v.boolean(), v.description('Keep this session so it can be resumed with session_id.')),
    false
  ),
  continue_session: v.optional(v.boolean(), false),
  max_budget_usd: v.nullish(v.pipe(v.number(), v.minValue(0.01), v.maxValue(100))),
  timeout_ms: TimeoutMs,
  tools: v.nullish(
    v.pipe(
      v.array(NativeTool),
      v.maxLength(64),
      v.description(
        'Tools you run yourself. When the model calls them the answer has `tool_calls` and the run waits: send the results as `tool_results` to continue it.'
      )
    )
  ),
  tool_results: v.nullish(
    v.pipe(
      v.array(NativeToolResult),
      v.description(
        'Results for every call of the last answer (`tool_use_id` from `tool_calls`); the waiting run goes on, and `prompt` may be empty.'
      )
    )
  ),
})
export type QueryRequest = v.InferOutput<typeof QueryRequest>

const Usage = v.nullable(UsageObject)

export const ChatResponse = v.object({
  text: v.string(),
  model: v.string(),
  is_error: v.boolean(),
  error_message: v.nullable(v.string()),
  stop_reason: v.pipe(
    v.picklist(['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'budget']),
    v.description(
      "Why the answer ended: its end, a tool call, the token cap, a stop sequence, or `budget`: the key's budget was spent before the run was done, and `text` is what it made until then."
    )
  ),
  session_id: v.nullable(v.string()),
  usage: Usage,
  total_cost_usd: v.number(),
  duration_ms: v.number(),
})

export const QueryResponse = v.object({
  ...ChatResponse.entries,
  num_turns: v.number(),
  model_usage: v.nullable(v.record(v.string(), v.record(v.string(), v.number()))),
  tool_calls: v.pipe(
    v.nullable(v.array(v.object({ id: v.string(), name: v.string(), input: v.unknown() }))),
    v.description('The tools the model called; the run waits for their results.')
  ),
})

export const HealthResponse = v.object({
  status: v.literal('ok'),
  service: v.string(),
  version: v.string(),
})
