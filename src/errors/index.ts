/**
 * Typed failures. Each class knows its HTTP status, a stable `type` string, and how callers
 * should treat it (`retryable`, `upstream`, `hostBound`), so one error handler maps them all,
 * and metrics, failover and the chat page ask the error instead of keeping lists of types.
 * Rebuilding one from its wire form is from-wire.ts, beside this file.
 */
import { ClaudeError, type ClaudeErrorOptions } from './base.js'
import { RateLimitedError } from './rate-limited.js'

export { ClaudeError, type ClaudeErrorOptions, isClaudeError } from './base.js'
export { LoginExpiredError, LoginMissingError, LoginQuotaError } from './login.js'
export { RateLimitedError } from './rate-limited.js'

/** The Claude Code binary could not be found or started. */
export class CliNotFoundError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'cli_not_found'
}

/** The CLI has no credentials: run `claude auth login` or set CLAUDE_CODE_OAUTH_TOKEN. */
export class NotLoggedInError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'not_logged_in'
  override readonly upstream = true
}

/** The upstream API refused the server's credentials (401/403 upstream). */
export class UpstreamAuthError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'upstream_auth_error'
  override readonly upstream = true
}

/**
 * The Claude login's subscription quota (a 5-hour or 7-day window) is used up: nothing runs
 * until `resetAt`, which `retryAfter` counts down to.
 */
export class QuotaExhaustedError extends RateLimitedError {
  override readonly type = 'quota_exhausted'
  override readonly hostBound = true
}

/**
 * The server's login runs on paid extra usage (its window is used up, overage allowed), and this
 * key may not spend it (its policy's `allow_overage`): refused until the window resets.
 */
export class OverageNotAllowedError extends ClaudeError {
  override readonly status = 429
  override readonly type = 'overage_not_allowed'
  override readonly retryable = true
}

/** Too many runs: every slot is busy and the wait queue is full. */
export class QueueFullError extends ClaudeError {
  override readonly status = 429
  override readonly type = 'queue_full'
  override readonly retryable = true
  override readonly hostBound = true
}

export class OverloadedError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'overloaded'
  override readonly retryable = true
  override readonly upstream = true
}

export class UpstreamApiError extends ClaudeError {
  override readonly status = 502
  override readonly type = 'upstream_error'
  override readonly retryable = true
  override readonly upstream = true
  readonly upstreamStatus?: number

  constructor(message: string, options: ClaudeErrorOptions & { upstreamStatus?: number } = {}) {
    super(message, options)
    this.upstreamStatus = options.upstreamStatus
  }
}

export class MaxTurnsError extends ClaudeError {
  override readonly status = 422
  override readonly type = 'max_turns_exceeded'
}

export class BudgetExceededError extends ClaudeError {
  override readonly status = 422
  override readonly type = 'budget_exceeded'
}

/** A JSON schema was given but the model did not produce valid output for it. */
export class StructuredOutputError extends ClaudeError {
  override readonly status = 422
  override readonly type = 'structured_output_failed'
}

/** /llm/json found no JSON value in the model's answer. */
export class NoJsonError extends ClaudeError {
  override readonly status = 422
  override readonly type = 'no_json'
}

export class DeadlineExceededError extends ClaudeError {
  override readonly status = 504
  override readonly type = 'deadline_exceeded'
  override readonly upstream = true
}

/** The CLI broke its protocol: malformed output, no result, or an exit without one. */
export class CliProtocolError extends ClaudeError {
  override readonly status = 502
  override readonly type = 'protocol_error'
  override readonly upstream = true
}

export class SessionNotFoundError extends ClaudeError {
  override readonly status = 404
  override readonly type = 'session_not_found'
}

/**
 * Tool results for calls no run waits on: never made, answered already, from another key, or
 * waited on too long (the run was stopped).
 */
export class ToolCallNotPendingError extends ClaudeError {
  override readonly status = 409
  override readonly type = 'tool_call_not_pending'
}

/** A request asked for something the server's policy does not allow (a tool, say). */
export class PolicyError extends ClaudeError {
  override readonly status = 403
  override readonly type = 'forbidden'
}

/** The model named is not one this server knows. */
export class ModelNotFoundError extends ClaudeError {
  override readonly status = 404
  override readonly type = 'model_not_found'
}

/** A per-key limit (concurrent runs, daily spend) was reached. */
export class QuotaExceededError extends ClaudeError {
  override readonly status = 429
  override readonly type = 'quota_exceeded'
  override readonly retryable = true
}

/** No usable API key (401). */
export class UnauthorizedError extends ClaudeError {
  override readonly status = 401
  override readonly type = 'unauthorized'
}

/** The server's keys cannot be trusted right now (its keys file vanished or went bad). */
export class KeysUnavailableError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'keys_unavailable'
  override readonly retryable = true
}

/**
 * The shared store (PostgreSQL, `DATABASE_URL`) cannot be reached: what needs it (a key's budget
 * and places, stored responses, background runs) is refused, never let through unchecked.
 */
export class StoreUnavailableError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'store_unavailable'
  override readonly retryable = true
}

/** No runner host could take the run (all down or unreachable). */
export class RunnerUnavailableError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'runner_unavailable'
  override readonly retryable = true
}

/** The runner host is shutting down: it finishes its runs and takes no new one (another may). */
export class HostDrainingError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'host_draining'
  override readonly retryable = true
  override readonly hostBound = true
}

/** The runner host doing the run went away mid-run (died, cut off or stalled): try again. */
export class HostLostError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'host_lost'
  override readonly retryable = true
}

/** The runner host that holds a kept session or a waiting run cannot be reached. */
export class SessionHostUnavailableError extends ClaudeError {
  override readonly status = 503
  override readonly type = 'session_host_unavailable'
  override readonly retryable = true
}

/** The front door and a runner host speak different protocol versions. */
export class ProtocolMismatchError extends ClaudeError {
  override readonly status = 400
  override readonly type = 'protocol_mismatch'
}

/** The caller aborted the run (client gone, `break`, or an AbortSignal). */
export class RunAbortedError extends ClaudeError {
  override readonly status = 499
  override readonly type = 'aborted'
}

/** The request is malformed or asks for something this server does not do. */
export class BadRequestError extends ClaudeError {
  override readonly status = 400
  override readonly type = 'bad_request'
}

export type FieldProblem = { field: string; message: string }

/** The body does not match the endpoint's schema; `errors` names each field. */
export class ValidationError extends ClaudeError {
  override readonly status = 422
  override readonly type = 'validation_error'
  readonly errors: FieldProblem[]

  constructor(message: string, options: ClaudeErrorOptions & { errors?: FieldProblem[] } = {}) {
    super(message, options)
    this.errors = options.errors ?? []
  }
}

export class NotFoundError extends ClaudeError {
  override readonly status = 404
  override readonly type = 'not_found'
}

export class PayloadTooLargeError extends ClaudeError {
  override readonly status = 413
  override readonly type = 'payload_too_large'
}

export class UnsupportedMediaTypeError extends ClaudeError {
  override readonly status = 415
  override readonly type = 'unsupported_media_type'
}

/** The server (or a library caller) is configured wrongly; the message says how to fix it. */
export class ConfigError extends ClaudeError {
  override readonly type = 'config_error'
}

/** The keys file cannot be read or changed as asked. */
export class KeysFileError extends ClaudeError {
  override readonly type = 'keys_file_error'
}

/** A command-line mistake: printed with a hint, exit code 2. */
export class UsageError extends ClaudeError {
  override readonly status = 400
  override readonly type = 'usage_error'
}
