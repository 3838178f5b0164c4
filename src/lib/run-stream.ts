/**
 * The one way a client-side reader (the runner over a server's API, the remote runner over a
 * runner host) turns the events it reads off a wire into a run's events: each is translated (an
 * error event there is thrown as its typed error), the run ends at its result, and this owns
 * what every such reader must get right — an abort is `RunAbortedError` (or what the caller
 * makes of it), a stream that breaks is the caller's to name, a stream that ends without a
 * result is an error, and the request is closed however the run ends.
 */

import type { RunEvent } from '../contract/runner.js'
import { isClaudeError, RunAbortedError } from '../errors/index.js'

export type RunStreamOptions<E> = {
  events: AsyncIterable<E>
  /** The run's signal: once it is aborted, whatever happens is the abort. */
  signal: AbortSignal
  /** A wire event as run events (a `result` among them ends the run); may throw its error. */
  translate: (event: E) => RunEvent[] | Promise<RunEvent[]>
  /** The error for an aborted run (default `RunAbortedError`). */
  aborted?: (cause: unknown) => Error
  /** What a failure that is not a typed error (the connection broke) becomes (default: itself). */
  broken?: (error: unknown) => Error
  /** The error when the stream ends without a result. */
  noResult: () => Error
  /** Closes the request (called however the run ends). */
  close: () => void
}

export async function* readRunStream<E>({
  events,
  signal,
  translate,
  aborted = (cause) => new RunAbortedError('The run was aborted', { cause }),
  broken = (error) => (error instanceof Error ? error : new Error(String(error))),
  noResult,
  close,
}: RunStreamOptions<E>): AsyncGenerator<RunEvent> {
  try {
    for await (const event of events) {
      for (const out of await translate(event)) {
        yield out
        if (out.type === 'result') return
      }
    }
    throw noResult()
  } catch (error) {
    if (signal.aborted) throw aborted(error)
    if (isClaudeError(error)) throw error
    throw broken(error)
  } finally {
    close()
  }
}
