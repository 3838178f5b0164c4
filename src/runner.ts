/**
 * The seam between the HTTP app and whatever runs Claude Code. Every endpoint is written against
 * `ClaudeRunner.run()`, so streaming and non-streaming requests share one path, and a local
 * process, a pool of warm processes or a remote runner host can sit behind it.
 */

export type TextBlock = { type: 'text'; text: string }
export type ImageBlock = {
  type: 'image'
  source: { type: 'base64'; media_type: string; data: string }
}
export type ContentBlock = TextBlock | ImageBlock

/** An earlier turn of the conversation, for stateless clients that send the whole history. */
export type HistoryTurn = { role: 'user' | 'assistant'; content: string | ContentBlock[] }

export type RunRequest = {
  /** The user turn: plain text, or text and base64 image blocks. */
  prompt: string | ContentBlock[]
  /**
   * Earlier turns, oldest first; they reach the model as real earlier messages. Not combined
   * with `resumeSessionId`.
   */
  history?: HistoryTurn[]
  /** Replaces Claude Code's default system prompt. */
  systemPrompt?: string
  /** Appended to the system prompt (the default one unless `systemPrompt` is set). */
  appendSystemPrompt?: string
  /** An alias (`haiku`, `sonnet`, `opus`, …) or a model id. */
  model?: string
  maxTurns?: number
  /** JSON Schema the final answer must satisfy (structured output). */
  jsonSchema?: Record<string, unknown>
  /** Built-in tools the model may use; the runner's own policy is the ceiling. */
  allowedTools?: string[]
  disallowedTools?: string[]
  /** Resume this session; its history is sent again. */
  resumeSessionId?: string
  /** Keep the session on disk so it can be resumed later. */
  persistSession?: boolean
  /**
   * Who owns a kept session (an opaque id, such as an API key's hash). A session kept with an
   * owner can only be resumed with the same owner; to anyone else it does not exist.
   */
  owner?: string
  maxBudgetUsd?: number
  /** Deadline for the whole run, queueing included, in milliseconds. */
  timeoutMs?: number
}

export type Usage = {
  input_tokens: number
  output_tokens: number
  cache_read_input_tokens: number
  cache_creation_input_tokens: number
}

export type ModelUsage = Record<
  string,
  {
    inputTokens: number
    outputTokens: number
    cacheReadInputTokens: number
    cacheCreationInputTokens: number
    costUSD: number
  }
>

export type RunResult = {
  text: string
  /** Present when a JSON schema was given and the model produced valid output. */
  structuredOutput?: unknown
  sessionId: string | null
  /** The model id the run resolved to. */
  model: string | null
  numTurns: number
  totalCostUsd: number
  durationMs: number
  usage: Usage | null
  modelUsage: ModelUsage | null
}

export type RunEvent =
  /** The run waits for a free slot; `position` is 1 for the next in line. */
  | { type: 'queued'; position: number }
  /** A slot was granted and the work began. */
  | { type: 'started' }
  | { type: 'init'; sessionId: string; model: string }
  | { type: 'text_delta'; text: string }
  | { type: 'assistant'; content: unknown[] }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; toolUseId: string; content: unknown; isError: boolean }
  /** The upstream API call failed and the CLI retries it. */
  | {
      type: 'retry'
      attempt: number
      maxRetries: number
      delayMs: number
      errorStatus: number | null
      error: string
    }
  | { type: 'result'; result: RunResult }

export type RunOptions = {
  /** Aborting ends the run at once; the iteration then rejects with `RunAbortedError`. */
  signal?: AbortSignal
}

export type CapacityStatus = {
  max_concurrency: number
  running: number
  queued: number
  max_queue: number
}

export type RunnerStatus = {
  available: boolean
  binary_path: string | null
  /** Where the binary came from: `env` (CLAUDE_BIN), `package` (the pinned dependency) or `path`. */
  binary_source: string | null
  version: string | null
  /** Whether the CLI has credentials (`claude auth status`), when it could be asked. */
  logged_in: boolean | null
  auth_method: string | null
  capacity: CapacityStatus
  /** For a remote runner: each runner host and whether it answered. */
  hosts?: Array<{ url: string; up: boolean }>
}

export type ModelInfo = {
  /** The alias clients send, e.g. `haiku`. */
  id: string
  /** The model id the alias resolves to with this CLI. */
  api_id: string
  name: string
  description: string
  /** Price per million tokens, e.g. `$1`, as the CLI reports it. */
  input_price: string | null
  output_price: string | null
}

export interface ClaudeRunner {
  /**
   * Starts a run. The first event (`queued` or `started`) arrives as soon as the run is admitted;
   * failures are thrown from the iteration as `ClaudeError` subclasses. Breaking out of the loop
   * aborts the run.
   */
  run(request: RunRequest, options?: RunOptions): AsyncIterable<RunEvent>
  status(): Promise<RunnerStatus>
  models(): Promise<ModelInfo[]>
}
