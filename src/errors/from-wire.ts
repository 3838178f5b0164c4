/**
 * Typed errors back from their wire form: a remote server or runner host sends `type` (and
 * Retry-After), and its clients get the same classes as local callers.
 */
import {
  BadRequestError,
  BudgetExceededError,
  type ClaudeError,
  type ClaudeErrorOptions,
  CliNotFoundError,
  CliProtocolError,
  DeadlineExceededError,
  type FieldProblem,
  HostDrainingError,
  HostLostError,
  KeysUnavailableError,
  MaxTurnsError,
  ModelNotFoundError,
  NoJsonError,
  NotFoundError,
  NotLoggedInError,
  OverloadedError,
  PayloadTooLargeError,
  PolicyError,
  ProtocolMismatchError,
  QueueFullError,
  QuotaExceededError,
  QuotaExhaustedError,
  RateLimitedError,
  RunAbortedError,
  RunnerUnavailableError,
  SessionHostUnavailableError,
  SessionNotFoundError,
  StructuredOutputError,
  ToolCallNotPendingError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  UpstreamApiError,
  UpstreamAuthError,
  ValidationError,
} from './index.js'

type ErrorClass = new (message: string, options?: ClaudeErrorOptions) => ClaudeError

/** Every error a client can receive, by its wire `type`. */
const BY_TYPE = new Map<string, ErrorClass>(
  [
    CliNotFoundError,
    NotLoggedInError,
    UpstreamAuthError,
    RateLimitedError,
    QuotaExhaustedError,
    QueueFullError,
    OverloadedError,
    UpstreamApiError,
    MaxTurnsError,
    BudgetExceededError,
    StructuredOutputError,
    NoJsonError,
    DeadlineExceededError,
    CliProtocolError,
    SessionNotFoundError,
    SessionHostUnavailableError,
    ToolCallNotPendingError,
    PolicyError,
    ModelNotFoundError,
    QuotaExceededError,
    UnauthorizedError,
    KeysUnavailableError,
    RunnerUnavailableError,
    HostDrainingError,
    HostLostError,
    ProtocolMismatchError,
    RunAbortedError,
    BadRequestError,
    ValidationError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
  ].map((ErrorType) => [new ErrorType('').type, ErrorType])
)

/** Rebuilds a typed error from its wire form (`{"detail", "type"}` plus Retry-After). */
export const errorFromType = (
  type: string,
  message: string,
  options: ClaudeErrorOptions & { resetAt?: Date; errors?: FieldProblem[] } = {}
): ClaudeError => {
  const ErrorType = BY_TYPE.get(type)
  return ErrorType ? new ErrorType(message, options) : new UpstreamApiError(message, options)
}
