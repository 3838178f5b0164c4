/**
 * The seam between the HTTP app and whatever runs Claude Code. Every endpoint is written against
 * `ClaudeRunner.run()`, so streaming and non-streaming requests share one path, and the local CLI
 * (adapters/node) or a remote runner host (runner-protocol) can sit behind it. The data types are
 * derived from the schemas in run/schemas.ts.
 */

import type * as v from 'valibot'
import type { Quota } from './run/quota-schema.js'
import type * as schemas from './run/schemas.js'

export type { Quota }

export type TextBlock = v.InferOutput<typeof schemas.TextBlock>
export type ImageBlock = v.InferOutput<typeof schemas.ImageBlock>
export type ContentBlock = v.InferOutput<typeof schemas.ContentBlock>
/** An earlier turn of the conversation, for stateless clients that send the whole history. */
export type HistoryTurn = v.InferOutput<typeof schemas.HistoryTurn>
export type RunRequest = v.InferOutput<typeof schemas.RunRequestSchema>
export type ClientTool = v.InferOutput<typeof schemas.ClientTool>
export type ToolResult = v.InferOutput<typeof schemas.ToolResult>
/** A call of a client tool the run waits on (the model's `tool_use` block). */
export type ToolCall = { id: string; name: string; input: unknown }
export type Usage = v.InferOutput<typeof schemas.Usage>

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
  /** USD this run cost (not the session's running total), as `modelUsage` counts it. */
  totalCostUsd: number
  durationMs: number
  /** Tokens of this run. */
  usage: Usage | null
  /** Tokens and USD of this run, per model id. */
  modelUsage: ModelUsage | null
  /**
   * The client tools the model called: the run is parked until a run with `toolResults` for
   * them continues it. Cost and usage then count from the resumed part's result.
   */
  toolCalls?: ToolCall[]
}

/** What a run cost, for charging it; an error thrown after the API was called carries one. */
export type RunCharge = { costUsd: number; usage: Usage | null; model: string | null }

export type RunEvent =
  /** The run waits for a free slot; `position` is 1 for the next in line. */
  | { type: 'queued'; position: number }
  /** A slot was granted and the work began. */
  | { type: 'started' }
  | { type: 'init'; sessionId: string; model: string }
  | { type: 'text_delta'; text: string }
  | { type: 'assistant'; content: unknown[] }
  /** A tool call; `client`: one of the request's own tools (its name as the client gave it). */
  | { type: 'tool_use'; id: string; name: string; input: unknown; client?: boolean }
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
  /**
   * Tokens used so far by this run, as the API reports them while it streams: what a run that
   * ends without a result (killed, abandoned) is charged by.
   */
  | { type: 'usage'; usage: Usage; model: string }
  /** The login's subscription quota, as the API reported it for this run. */
  | { type: 'quota'; quota: Quota }
  | { type: 'result'; result: RunResult }

export type RunOptions = {
  /** Aborting ends the run at once; the iteration then rejects with `RunAbortedError`. */
  signal?: AbortSignal
}

export type CapacityStatus = v.InferOutput<typeof schemas.CapacityStatus>
export type RunnerStatus = v.InferOutput<typeof schemas.StatusResponse>
export type ModelInfo = v.InferOutput<typeof schemas.ModelInfo>

export interface ClaudeRunner {
  /**
   * Starts a run. The first event (`queued` or `started`) arrives as soon as the run is admitted;
   * failures are thrown from the iteration as `ClaudeError` subclasses. Breaking out of the loop
   * aborts the run.
   */
  run(request: RunRequest, options?: RunOptions): AsyncIterable<RunEvent>
  status(): Promise<RunnerStatus>
  models(): Promise<ModelInfo[]>
  /** The login's quota as last reported, without asking anyone (for response headers). */
  quota?(): Quota | undefined
}
