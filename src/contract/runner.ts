/**
 * The seam between the HTTP app and whatever runs Claude Code. Every endpoint is written against
 * `ClaudeRunner.run()`, so streaming and non-streaming requests share one path, and the local CLI
 * (adapters/node) or a remote runner host (runner-protocol) can sit behind it. The data types are
 * derived from the schemas in run/schemas.ts and run/events.ts.
 */

import type * as v from 'valibot'
import type * as events from './events.js'
import type { Quota } from './quota.js'
import type * as schemas from './run.js'

export type { Quota }

export type TextBlock = v.InferOutput<typeof schemas.TextBlock>
export type ImageBlock = v.InferOutput<typeof schemas.ImageBlock>
export type ContentBlock = v.InferOutput<typeof schemas.ContentBlock>
/** An earlier turn of the conversation, for stateless clients that send the whole history. */
export type HistoryTurn = v.InferOutput<typeof schemas.HistoryTurn>
export type HistoryBlock = v.InferOutput<typeof schemas.HistoryBlock>
export type RunRequest = v.InferOutput<typeof schemas.RunRequestSchema>
export type ClientTool = v.InferOutput<typeof schemas.ClientTool>
export type ToolResult = v.InferOutput<typeof schemas.ToolResult>
/** A call of a client tool the run waits on (the model's `tool_use` block). */
export type ToolCall = v.InferOutput<typeof events.ToolCall>
export type Usage = v.InferOutput<typeof schemas.Usage>
export type ModelUsage = v.InferOutput<typeof events.ModelUsage>
export type RunResult = v.InferOutput<typeof events.RunResult>
/** What a run cost, for charging it; an error thrown after the API was called carries one. */
export type RunCharge = v.InferOutput<typeof events.RunCharge>
export type RunEvent = v.InferOutput<typeof events.RunEvent>

/** A span's context in its W3C wire form (tracing/context.ts reads and writes it). */
export type TraceCarrier = { traceparent: string; tracestate?: string }

export type RunOptions = {
  /** Aborting ends the run at once; the iteration then rejects with `RunAbortedError`. */
  signal?: AbortSignal
  /** The span the run is traced under (the request's); a runner host gets it as `traceparent`. */
  trace?: TraceCarrier
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
  /**
   * A login's quota as last reported, without asking anyone (for response headers): the named
   * login's, else the runner's own.
   */
  quota?(login?: string): Quota | undefined
  /** Claude Code's own tools a run may allow here (`allowedTools` beyond these is refused). */
  tools?(): Promise<readonly string[]>
  /**
   * Running and queued runs now, without asking anything else (`status` may start the CLI to
   * see its version): what a runner host's health check answers with.
   */
  capacity?(): CapacityStatus
  /**
   * A kept session's transcript (the CLI's JSONL) if this runner holds it for `owner`: what a
   * front door keeps in its shared store so the session outlives its host (`carriedTranscript`).
   */
  sessionTranscript?(id: string, owner: string): Promise<string | undefined>
}
