import type { KeyRecord } from '../auth/keys.js'
import type { ClaudeRunner } from '../contract/runner.js'
import type { Logger } from '../lib/logger.js'
import type { TraceCarrier } from '../tracing/context.js'

/** Fields the request log line gets from inside the request (the run's model, cost, error). */
export type RequestLogFields = {
  model?: string
  cost_usd?: number
  input_tokens?: number
  output_tokens?: number
  /** Input tokens read from and written to the prompt cache. */
  cache_read_tokens?: number
  cache_write_tokens?: number
  /** From the request until its run started (a slot, and its CLI process). */
  start_wait_ms?: number
  /** The error's `type` when the request failed, before or during a stream. */
  error_type?: string
  /** The failure was the model's side (ClaudeError.upstream), for metrics. */
  upstream?: boolean
  /** The request's span, when it is traced (tracing/request-span.ts). */
  trace_id?: string
  span_id?: string
}

/** What every route can read from `c.var`; set per request, so a runtime can build it from bindings. */
export type AppEnv = {
  Variables: {
    runner: ClaudeRunner
    logger: Logger
    requestId: string
    logFields: RequestLogFields
    /** The caller's key, when auth is on. */
    apiKey?: KeyRecord
    /** The request span's context: what its runs are traced under. */
    trace?: TraceCarrier
    /** Set by a streamed response: settles when the stream has ended. */
    streaming?: Promise<void>
  }
}
