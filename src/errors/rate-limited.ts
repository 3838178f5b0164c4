/** The API's rate limits and a login's quota: refusals that end at a known time. */
import { ClaudeError, type ClaudeErrorOptions } from './base.js'

export class RateLimitedError extends ClaudeError {
  override readonly status = 429
  override readonly type: string = 'rate_limited'
  override readonly retryable = true
  override readonly upstream = true
  /** When the limit resets, if the CLI said so. */
  readonly resetAt?: Date
  /** A login's window that ran out (`five_hour`, `seven_day`, …), when it was one. */
  readonly window?: string | null

  constructor(
    message: string,
    options: ClaudeErrorOptions & { resetAt?: Date; window?: string | null } = {}
  ) {
    super(message, options)
    this.resetAt = options.resetAt
    this.window = options.window
  }
}
