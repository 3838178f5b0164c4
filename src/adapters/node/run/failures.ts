/** How a failed run is explained: to the client (a typed error) and in the server log. */
import {
  type ClaudeError,
  CliNotFoundError,
  CliProtocolError,
  isClaudeError,
  RunAbortedError,
  SessionNotFoundError,
} from '../../../errors/index.js'
import type { Logger } from '../../../lib/logger.js'

export const noResultError = (code: number | null, stderr: string): ClaudeError => {
  if (/No conversation found/i.test(stderr))
    return new SessionNotFoundError('No session with that id')
  if (/native binary not installed/i.test(stderr)) {
    return new CliNotFoundError('The Claude Code CLI is installed without its native binary')
  }
  return new CliProtocolError(
    `The Claude Code CLI exited${code === null ? '' : ` with code ${code}`} without a result`
  )
}

export const unexpectedExit = (code: number | null) =>
  new CliProtocolError(`The Claude Code CLI exited with code ${code}`)

export const logFailure = (
  logger: Logger,
  error: unknown,
  proc: { stderrTail(): string } | undefined
) => {
  if (error instanceof RunAbortedError) return
  logger.warn('claude run failed', {
    type: isClaudeError(error) ? error.type : 'internal_error',
    error: error instanceof Error ? error.message : String(error),
    detail: error instanceof Error ? describeCause(error.cause) : undefined,
    stderr: proc?.stderrTail() || undefined,
  })
}

const describeCause = (cause: unknown) =>
  cause instanceof Error ? cause.message : cause === undefined ? undefined : JSON.stringify(cause)
