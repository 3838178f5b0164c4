/**
 * Typed errors back from their wire form: a remote server or runner host sends `type` (and
 * Retry-After), and its clients get the same classes as local callers.
 */
import * as family from './index.js'
import {
  ClaudeError,
  type ClaudeErrorOptions,
  type FieldProblem,
  UpstreamApiError,
} from './index.js'

type ErrorClass = new (message: string, options?: ClaudeErrorOptions) => ClaudeError

const isErrorClass = (value: unknown): value is ErrorClass =>
  typeof value === 'function' && (value === ClaudeError || value.prototype instanceof ClaudeError)

/**
 * Every error a client can receive, by its wire `type`: the whole family of index.ts, read from
 * it (a new class is mapped as soon as it is exported; two classes with one type fail a test).
 */
export const ERROR_CLASSES = new Map<string, ErrorClass>(
  (Object.values(family) as unknown[])
    .filter(isErrorClass)
    .map((ErrorType): [string, ErrorClass] => [new ErrorType('').type, ErrorType])
)

/** Rebuilds a typed error from its wire form (`{"detail", "type"}` plus Retry-After). */
export const errorFromType = (
  type: string,
  message: string,
  options: ClaudeErrorOptions & { resetAt?: Date; errors?: FieldProblem[] } = {}
): ClaudeError => {
  const ErrorType = ERROR_CLASSES.get(type)
  return ErrorType ? new ErrorType(message, options) : new UpstreamApiError(message, options)
}
