/**
 * Where a run's CLI process comes from and where it goes: started cold in its own directory
 * (inside the sandbox when the run needs one), or taken ready from the warm pool; afterwards
 * reset for its tenant's next run (recycle.ts), or stopped with its directory cleaned up.
 */
import type { Logger } from '../../lib/logger.js'
import type { RunRequest } from '../../runner.js'
import { buildCliArgs } from './args.js'
import type { ClaudeBinary } from './binary.js'
import type { NodeRunnerOptions } from './options.js'
import type { createLauncher } from './orphans.js'
import { clearConversation, residentBytes } from './recycle.js'
import { sandboxArgs } from './sandbox.js'
import { createWarmPool, type Warm, type WarmShape } from './warm-pool.js'
import { prepareWorkDir, type WorkDirOptions } from './work-dir.js'

export type ProcessSourceOptions = {
  options: NodeRunnerOptions
  dirs: WorkDirOptions
  launch: ReturnType<typeof createLauncher>
  binary: () => ClaudeBinary
  logger: Logger
}

/** How a run ended, for what becomes of its process. */
export type Outcome = {
  shape?: WarmShape
  tenant?: string
  /** The session id of a run that ended cleanly (its process may be reset and reused). */
  completed: string | null
  aborted: boolean
}

export const createProcessSource = ({
  options,
  dirs,
  launch,
  binary,
  logger,
}: ProcessSourceOptions) => {
  const runsPerProcess = options.runsPerProcess ?? 20
  // Reused processes wait in the pool, so without one there is no reuse either.
  const reuse =
    options.reuseProcesses !== false && runsPerProcess > 1 && (options.warmProcesses ?? 0) > 0
  const maxRssBytes = (options.maxProcessRssMb ?? 400) * 1024 * 1024
  const hidden = options.hiddenPaths ?? []

  /** A CLI process started now for the run, in its own working directory. */
  const startCold = async (request: RunRequest, sandbox?: string, reusable = false) => {
    const { path } = binary()
    const dir = await prepareWorkDir(request, dirs)
    try {
      const command = sandbox
        ? [sandbox, ...(await sandboxArgs({ cwd: dir.cwd, ...dirs, hidden })), path]
        : [path]
      const clientTools = request.tools?.map((tool) => tool.name)
      const args = buildCliArgs({ ...request, ...dir, reusable, clientTools })
      return { proc: await launch(command, args, dir.cwd), dir }
    } catch (error) {
      await dir.cleanup?.().catch(() => {})
      throw error
    }
  }

  const pool = createWarmPool({
    size: options.warmProcesses ?? 0,
    idleMs: options.warmIdleMs ?? 600_000,
    start: (shape) => startCold({ prompt: '', ...shape }, undefined, reuse),
    onError: (error) =>
      logger.warn('could not start a CLI process ahead', { error: String(error) }),
  })
  // Started after this tick, so creating the runner (and the server's start) does not wait.
  for (const shape of options.warmShapes ?? [{ model: 'haiku', maxTurns: 1 }]) {
    for (let i = 0; i < (options.warmProcesses ?? 0); i++) setTimeout(() => pool.refill(shape), 0)
  }

  return {
    reuse,
    pool,
    /** A process for the run: its tenant's or a fresh one from the pool, else a cold start. */
    async acquire(request: RunRequest, sandbox?: string, shape?: WarmShape, tenant?: string) {
      const ready = shape && (await pool.take(shape, tenant))
      return ready || { ...(await startCold(request, sandbox, tenant !== undefined)), runs: 0 }
    },
    /** After a run: reset for reuse (off the response's time), or stopped and cleaned up. */
    async settle(started: Warm, { shape, tenant, completed, aborted }: Outcome) {
      const runs = started.runs + 1
      if (shape && tenant && completed && !aborted) {
        // Any doubt (worn out, memory, no proof of reset) retires it.
        const sessionId = completed
        pool.recycle({ ...started, runs }, shape, tenant, async () => {
          if (runs >= runsPerProcess) return false
          if (((await residentBytes(started.proc.child.pid)) ?? 0) > maxRssBytes) return false
          return clearConversation(started.proc, sessionId, 10_000)
        })
        return
      }
      await started.proc.terminate()
      await started.dir.cleanup?.().catch(() => {})
      // The next run of this shape finds a process ready; started now, off this run's CPU.
      if (shape && tenant) pool.discard(shape)
      else if (shape) pool.refill(shape)
    },
  }
}
