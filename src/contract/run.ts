/**
 * The run contract's data, as valibot schemas: they validate what crosses a wire (the runner
 * protocol, /llm/status, /llm/models) and the TypeScript types in runner.ts are derived from them.
 */
import * as v from 'valibot'
import { LOGIN_NAME, MODEL_ALIASES, MODEL_PATTERN, TOOL_PATTERN } from './names.js'
import { Quota } from './quota.js'

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const
export type ImageMediaType = (typeof IMAGE_TYPES)[number]
export const isImageType = (type: string): type is ImageMediaType =>
  (IMAGE_TYPES as readonly string[]).includes(type)

export const ModelName = v.pipe(
  v.string(),
  v.regex(
    MODEL_PATTERN,
    `must be an alias (${MODEL_ALIASES.join(', ')}) or a model id of letters, digits and .-_:[] not starting with "-"`
  ),
  v.description('A model alias (haiku, sonnet, opus, …) or a model id.')
)

export const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const
export type Effort = (typeof EFFORTS)[number]

export const ToolName = v.pipe(v.string(), v.regex(TOOL_PATTERN, 'must be a built-in tool name'))

export const TextBlock = v.object({ type: v.literal('text'), text: v.string() })
export const ImageBlock = v.object({
  type: v.literal('image'),
  source: v.object({
    type: v.literal('base64'),
    media_type: v.picklist(IMAGE_TYPES),
    data: v.string(),
  }),
})
/** A document the model reads: a base64 PDF or plain text (passed to the model unchanged). */
export const DocumentBlock = v.object({
  type: v.literal('document'),
  source: v.variant('type', [
    v.object({
      type: v.literal('base64'),
      media_type: v.literal('application/pdf'),
      data: v.string(),
    }),
    v.object({ type: v.literal('text'), media_type: v.literal('text/plain'), data: v.string() }),
  ]),
  title: v.optional(v.string()),
  context: v.optional(v.string()),
  citations: v.optional(v.object({ enabled: v.boolean() })),
})
export const ContentBlock = v.variant('type', [TextBlock, ImageBlock, DocumentBlock])
/** A turn's content: plain text, or text, base64 image and document blocks. */
export const Content = v.union([v.string(), v.array(ContentBlock)])

/** An earlier tool call, in an assistant turn: named as the run's tools are (the client's name). */
export const ToolUseBlock = v.object({
  type: v.literal('tool_use'),
  id: v.string(),
  name: v.string(),
  input: v.unknown(),
})
/** Its result, in the user turn after it. */
export const ToolResultBlock = v.object({
  type: v.literal('tool_result'),
  tool_use_id: v.string(),
  content: v.string(),
  is_error: v.optional(v.boolean()),
})
/** What an earlier turn may hold: content, and tool calls and results, which stay blocks. */
export const HistoryBlock = v.variant('type', [
  TextBlock,
  ImageBlock,
  DocumentBlock,
  ToolUseBlock,
  ToolResultBlock,
])

export const HistoryTurn = v.object({
  role: v.picklist(['user', 'assistant']),
  content: v.union([v.string(), v.array(HistoryBlock)]),
})

/** A tool the client defines and runs itself: the model may call it, the client answers. */
export const ClientTool = v.object({
  name: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -')
  ),
  description: v.optional(v.string()),
  /** JSON Schema of the tool's input. */
  inputSchema: v.record(v.string(), v.unknown()),
})

/** The client's answer to a tool call a parked run waits on. */
export const ToolResult = v.object({
  toolUseId: v.string(),
  content: v.union([v.string(), v.array(ContentBlock)]),
  isError: v.optional(v.boolean()),
  /** The call as the client's conversation shows it: it must be the call the run made. */
  call: v.optional(v.object({ name: v.string(), input: v.unknown() })),
})

/** A run as a runner receives it (also the body of the runner protocol's POST /runs). */
export const RunRequestSchema = v.object({
  /** The user turn. */
  prompt: Content,
  /** Earlier turns, oldest first, sent as real earlier messages; not with `resumeSessionId`. */
  history: v.optional(v.array(HistoryTurn)),
  /** Replaces Claude Code's default system prompt. */
  systemPrompt: v.optional(v.string()),
  /** Appended to the system prompt (the default one unless `systemPrompt` is set). */
  appendSystemPrompt: v.optional(v.string()),
  model: v.optional(ModelName),
  maxTurns: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** JSON Schema the final answer must satisfy (structured output). */
  jsonSchema: v.optional(v.record(v.string(), v.unknown())),
  /** Built-in tools the model may use; the runner's own policy is the ceiling. */
  allowedTools: v.optional(v.array(ToolName)),
  disallowedTools: v.optional(v.array(ToolName)),
  /** Resume this kept session; its history is sent again. */
  resumeSessionId: v.optional(v.string()),
  /** Keep the session so it can be resumed later. */
  persistSession: v.optional(v.boolean()),
  /**
   * With `resumeSessionId`: the kept session's transcript from a front door's shared store, for
   * a runner that does not hold it (the host that did is gone). Set by the server, never a client.
   */
  carriedTranscript: v.optional(v.string()),
  /** Who owns a kept session (e.g. an API key's hash); to anyone else it does not exist. */
  owner: v.optional(v.string()),
  /** The Claude login to run on, by name (the key's, set by the server); absent = the runner's own. */
  login: v.optional(v.pipe(v.string(), v.regex(LOGIN_NAME))),
  maxBudgetUsd: v.optional(v.pipe(v.number(), v.minValue(0))),
  /** Output tokens of each model call at most (the API's `max_tokens`); the run ends at it. */
  maxOutputTokens: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** How hard the model works (`--effort`). */
  effort: v.optional(v.picklist(EFFORTS)),
  /** Show the model's thinking: streamed as it comes (`updates`) or summarized. */
  thinking: v.optional(v.picklist(['updates', 'summarized'])),
  /** Tools the client runs itself; a call parks the run until the client sends the result. */
  tools: v.optional(v.array(ClientTool)),
  /**
   * Results for the calls a parked run waits on (by `toolUseId`): the run goes on where it
   * stopped, and `prompt` is not sent.
   */
  toolResults: v.optional(v.array(ToolResult)),
  /** With tool results: the conversation before the calls as the client shows it (conversation-key.ts). */
  conversation: v.optional(v.string()),
  /** Deadline for the whole run, queueing included, in milliseconds. */
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
})

/**
 * A count or an amount that crosses a wire (a runner host's word): finite and never below zero,
 * so no report can drive a key's spend down.
 */
export const Amount = v.pipe(v.number(), v.finite(), v.minValue(0))

export const Usage = v.object({
  input_tokens: Amount,
  output_tokens: Amount,
  cache_read_input_tokens: Amount,
  cache_creation_input_tokens: Amount,
})

export const CapacityStatus = v.object({
  max_concurrency: v.number(),
  running: v.number(),
  queued: v.number(),
  max_queue: v.number(),
})

/** A runner host as a front door knows it. */
export const FleetHost = v.object({
  url: v.string(),
  up: v.pipe(v.boolean(), v.description('Reachable, as the last run or health check found it.')),
  draining: v.optional(v.boolean()),
  since: v.optional(v.pipe(v.string(), v.description('When it last went up or down (ISO 8601).'))),
  running: v.optional(v.number()),
  queued: v.optional(v.number()),
  last_error: v.optional(v.nullable(v.object({ message: v.string(), at: v.string() }))),
  failovers: v.optional(
    v.pipe(
      v.number(),
      v.description('Runs that moved to another host because this one failed before any event.')
    )
  ),
  lost_runs: v.optional(
    v.pipe(v.number(), v.description('Runs cut off on it mid-way (it died, broke off or stalled).'))
  ),
  quota: v.optional(v.nullable(Quota)),
})

export const StatusResponse = v.object({
  available: v.boolean(),
  binary_path: v.pipe(
    v.nullable(v.string()),
    v.description('Shown to admin keys only (or with auth off).')
  ),
  binary_source: v.pipe(
    v.nullable(v.string()),
    v.description(
      'Where the binary came from: `env` (CLAUDE_BIN), `package` (the pinned dependency), `path` or `remote`.'
    )
  ),
  version: v.nullable(v.string()),
  logged_in: v.pipe(
    v.nullable(v.boolean()),
    v.description('Whether the CLI has credentials (`claude auth status`), when it could be asked.')
  ),
  auth_method: v.pipe(
    v.nullable(v.string()),
    v.description('Shown to admin keys only (or with auth off).')
  ),
  quota: v.optional(v.nullable(Quota)),
  logins: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.regex(LOGIN_NAME)), Quota),
      v.description(
        "Each key login's latest quota report, by name (admin keys only; a key bound to a login sees its own as `quota`)."
      )
    )
  ),
  hosts: v.optional(
    v.pipe(
      v.array(FleetHost),
      v.description(
        'For a front door: each runner host as it knows it (the addresses and last errors for admin keys only).'
      )
    )
  ),
  capacity: CapacityStatus,
  processes: v.optional(
    v.pipe(
      v.object({
        warm: v.number(),
        starting: v.number(),
        resetting: v.number(),
        busy: v.number(),
        parked: v.optional(v.number()),
        started: v.number(),
        used: v.number(),
        reused: v.number(),
        retired: v.number(),
        held: v.optional(v.number()),
        continued: v.optional(v.number()),
      }),
      v.description(
        'CLI processes: waiting for a run now, starting ahead now, being reset after a run (/clear) now, running a run now; and since start: started ahead, fresh ones taken by a run, runs served by a process reused after /clear, processes retired (unused, worn out, or failed to reset). `held`: processes holding a conversation for its next turn now; `continued`: turns since start that went on in such a process.'
      )
    )
  ),
})

export const ModelInfo = v.object({
  id: v.pipe(v.string(), v.description('The alias clients send, e.g. `haiku`.')),
  api_id: v.pipe(v.string(), v.description('The model id the alias resolves to with this CLI.')),
  name: v.string(),
  description: v.string(),
  input_price: v.pipe(v.nullable(v.string()), v.description('Per million tokens, e.g. `$1`.')),
  output_price: v.nullable(v.string()),
})

export const ModelsResponse = v.object({ models: v.array(ModelInfo) })
