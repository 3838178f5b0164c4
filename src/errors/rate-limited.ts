/** The API's rate limits and a login's quota: refusals that end at a known time. */
import { ClaudeError, type ClaudeErrorOptions } from './base.js'

export class RateLimitedError extends ClaudeError {
  override readonly status = 429
  override readonly type: string = 'rate_limited'
  override readonly retryable = true
  override readonly upstream = true
  /** When the limit resets, if the CLI said so. */
  readonly resetAt?: Date

  constructor(message: string, options: ClaudeErrorOptions & { resetAt?: Date } = {}) {
    super(message, options)
    this.resetAt = options.resetAt
  }
}
