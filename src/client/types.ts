/** What the library's calls take and give (client.ts), shared with the tool loop. */
import type { ImageMediaType } from '../contract/run.js'
import type { ClaudeRunner, ClientTool, ToolCall, ToolResult, Usage } from '../contract/runner.js'

export type CallOptions = {
  /** Aborting ends the run and rejects with `RunAbortedError`. */
  signal?: AbortSignal
  /** Deadline for this call in milliseconds (`DeadlineExceededError` after it). */
  timeoutMs?: number
  model?: string
  /** Replaces the default system prompt. */
  system?: string
  maxTurns?: number
}

export type ClaudeClientOptions = Omit<CallOptions, 'signal'> & {
  /** What runs the prompts; default in Node: the local Claude Code CLI. */
  runner?: ClaudeRunner
}

export type QueryInput = {
  prompt: string
  /** Base64 images, placed before the text. */
  images?: Array<{ data: string; mediaType?: ImageMediaType }>
  appendSystem?: string
  /** Built-in tools to allow, within the runner's policy. */
  allowedTools?: string[]
  disallowedTools?: string[]
  /** Resume a kept session. */
  sessionId?: string
  /** Keep this session so it can be resumed. */
  persistSession?: boolean
  maxBudgetUsd?: number
  /** Tools you run yourself: a call ends the answer with `toolCalls` (see `runTools`). */
  tools?: ClientTool[]
  /** Results for every call of the last answer: its waiting run goes on (`prompt` may be ''). */
  toolResults?: ToolResult[]
}

export type ChatResult = {
  text: string
  sessionId: string | null
  /** The model id the run resolved to. */
  model: string | null
  usage: Usage | null
  totalCostUsd: number
  durationMs: number
  numTurns: number
  /** The tools the model called; the run waits for their results. */
  toolCalls?: ToolCall[]
}
