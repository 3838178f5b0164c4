/**
 * What this server process is doing, for the operator's dashboard: the runs in flight (whose
 * key, which model, queued or running, since when) and the runs that failed lately, by error
 * type. Kept in memory by the process (at the edge, by the isolate) that runs them; bounded.
 */
import type { LiveRun, RecentError } from '../contract/admin.js'
import type { ClaudeRunner, RunEvent, RunOptions, RunRequest } from '../contract/runner.js'
import { isClaudeError } from '../errors/index.js'
import { type TraceCarrier, traceIdOf } from '../tracing/context.js'

/** How long a failure counts as recent, and how many are kept. */
const RECENT_MS = 3600_000
const MAX_RECENT = 200

export type Activity = ReturnType<typeof createActivity>

export const createActivity = () => {
  const live = new Map<string, LiveRun>()
  const recent: RecentError[] = []
  const prune = () => {
    const cutoff = new Date(Date.now() - RECENT_MS).toISOString()
    while (
      recent.length > 0 &&
      ((recent[0] as RecentError).at < cutoff || recent.length > MAX_RECENT)
    )
      recent.shift()
  }

  return {
    /** The runner as seen by one key, its runs counted while they last. */
    track(runner: ClaudeRunner, key: string, trace?: TraceCarrier): ClaudeRunner {
      async function* run(request: RunRequest, given?: RunOptions): AsyncGenerator<RunEvent> {
        // A request's runs are traced under its span.
        const options = trace && !given?.trace ? { ...given, trace } : given
        const entry: LiveRun = {
          id: crypto.randomUUID(),
          key,
          model: request.model ?? 'default',
          state: 'queued',
          since: new Date().toISOString(),
        }
        live.set(entry.id, entry)
        try {
          for await (const event of runner.run(request, options)) {
            if (event.type === 'started') entry.state = 'running'
            yield event
          }
        } catch (error) {
          // A client that left is not a failure of the server.
          const type = isClaudeError(error) ? error.type : 'internal_error'
          if (type !== 'aborted') {
            const traceId = traceIdOf(options?.trace)
            recent.push({
              type,
              key,
              at: new Date().toISOString(),
              ...(traceId && { trace_id: traceId }),
            })
            prune()
          }
          throw error
        } finally {
          live.delete(entry.id)
        }
      }
      return { ...runner, run }
    },
    /** The runs in flight, oldest first. */
    runs: (): LiveRun[] => [...live.values()],
    /** Failures of the last hour: counts by type, and the latest ones. */
    errors() {
      prune()
      const byType: Record<string, number> = {}
      for (const error of recent) byType[error.type] = (byType[error.type] ?? 0) + 1
      return { by_type: byType, latest: recent.slice(-20).reverse() }
    },
  }
}
