/** The root of the error family (index.ts): what every typed failure carries. */
import type { RunCharge } from '../contract/runner.js'

export type ClaudeErrorOptions = {
  cause?: unknown
  /** Seconds a client should wait before trying again. */
  retryAfter?: number
  /** What the failed run cost, when it reached the API (the CLI reports it on error results). */
  billed?: RunCharge
  /**
   * Machine-readable details a dialect's error carries (the Anthropic API's
   * `error.details.error_code`, which its SDK acts on).
   */
  details?: Record<string, unknown>
}

export class ClaudeError extends Error {
  readonly status: number = 500
  readonly type: string = 'internal_error'
  /** The same request may succeed later, unchanged (after `retryAfter` when given). */
  readonly retryable: boolean = false
  /** The model's side failed or refused (the API, the login, the CLI), not the request. */
  readonly upstream: boolean = false
  /** Another runner host may take the run this host refused (its slots or its login). */
  readonly hostBound: boolean = false
  readonly retryAfter?: number
  billed?: RunCharge
  readonly details?: Record<string, unknown>

  constructor(message: string, options: ClaudeErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.retryAfter = options.retryAfter
    this.billed = options.billed
    this.details = options.details
  }
}

export const isClaudeError = (err: unknown): err is ClaudeError => err instanceof ClaudeError
