/**
 * Failures of a key's own Claude login (runtime/node/logins/): each has its own type, and none
 * lets the run fall back to another login or to the server's own. The Anthropic dialect, whose
 * error types are fixed, carries it as `error.details.error_code` (the OpenAI one as `code`).
 */
import { ClaudeError, type ClaudeErrorOptions } from './base.js'
import { RateLimitedError } from './rate-limited.js'

/** The key names a login the server does not have (removed, or never added there). */
export class LoginMissingError extends ClaudeError {
  override readonly status = 403
  override readonly type = 'login_missing'
  /** Runner hosts hold logins by name: another host of a front door may have it. */
  override readonly hostBound = true

  constructor(message: string, options: ClaudeErrorOptions = {}) {
    super(message, { ...options, details: { error_code: 'login_missing' } })
  }
}

/** The API refused the key's login (its token expired or was revoked): it must be added again. */
export class LoginExpiredError extends ClaudeError {
  override readonly status = 403
  override readonly type = 'login_expired'
  override readonly upstream = true

  constructor(message: string, options: ClaudeErrorOptions = {}) {
    super(message, { ...options, details: { error_code: 'login_expired' } })
  }
}

/** The key's login has used up a window (until `resetAt`); other logins still run. */
export class LoginQuotaError extends RateLimitedError {
  override readonly type = 'login_quota'

  constructor(message: string, options: ConstructorParameters<typeof RateLimitedError>[1] = {}) {
    super(message, { ...options, details: { error_code: 'login_quota' } })
  }
}
