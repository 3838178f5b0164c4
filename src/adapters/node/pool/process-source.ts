/**
 * Where a run's CLI session comes from and where it goes: started cold in its own directory
 * (inside the sandbox when the run needs one), or taken ready from the warm pool; afterwards
 * reset for its tenant's next run (tenant.ts), or stopped with its directory cleaned up.
 */

import type { RunRequest } from '../../../contract/runner.js'
import type { Logger } from '../../../lib/logger.js'
import { buildCliArgs } from '../cli-protocol/args.js'
import { prepareWorkDir, type WorkDirOptions } from '../disk/work-dir.js'
import type { EgressProxy } from '../process/egress-proxy.js'
import { residentBytes } from '../process/memory.js'
import { prepareSandbox, type SandboxLaunch } from '../process/sandbox.js'
import type { SandboxLease } from '../process/sandbox-probe.js'
import type { CliProcess, LaunchExtras } from '../process/spawn.js'
import { type CliSession, createCliSession } from '../session/cli-session.js'
import type { NodeRunnerOptions, RunnerSettingsOutput } from '../settings.js'
import { type WarmShape, warmShapeOf } from './shape.js'
import { tenantOf } from './tenant.js'
import { createWarmPool } from './warm-pool.js'

/** Starts the CLI: `command` ends with its binary (after a sandbox's own command, if any). */
export type Launch = (
  command: string[],
  args: string[],
  cwd: string,
  extraEnv?: Record<string, string>,
  extras?: LaunchExtras
) => Promise<CliProcess>

export type ProcessSourceOptions = {
  settings: RunnerSettingsOutput
  hiddenPaths?: string[]
  /** The ways out of a sandboxed run's network: the API only, or the public web too. */
  egress: { api: EgressProxy; web: EgressProxy }
  /** Where a run that needs a sandbox gets one (asked only for such runs). */
  sandbox: { acquire(): Promise<SandboxLease> }
  warmShapes?: NodeRunnerOptions['warmShapes']
  dirs: WorkDirOptions
  launch: Launch
  binary: () => string
  logger: Logger
  /** Every session started, from its start until it stops (the runner's registry). */
  onSession: (session: CliSession) => void
}

/** Where a run's process goes when the run is over. */
export type Outcome = {
  shape?: WarmShape
  tenant?: string
  /** The session id of a run that ended cleanly (its process may be reset and reused). */
  completed: string | null
}

/** Where a run's process comes from: a sandbox, a warm shape, a tenant who may reuse it. */
export type RunPlace = { sandbox?: string; shape?: WarmShape; tenant?: string }

/** A session started now for the run, in its own working directory. */
const startCold = async (
  options: ProcessSourceOptions,
  request: RunRequest,
  sandbox?: string,
  reusable = false
) => {
  const { settings, hiddenPaths = [], egress, dirs, launch, binary, onSession } = options
  const path = binary()
  const dir = await prepareWorkDir(request, dirs)
  let lease: SandboxLease | undefined
  let sandboxed: SandboxLaunch | undefined
  try {
    if (sandbox && dir.persist && dir.sessionId) await dirs.sessions.markSandboxed(dir.sessionId)
    const paths = {
      cwd: dir.cwd,
      keep: dir.persist,
      configDir: dirs.configDir,
      binary: path,
      hidden: hiddenPaths,
    }
    const way = request.allowedTools?.includes('WebFetch') ? egress.web : egress.api
    if (sandbox) {
      const egressSocket = await way.start()
      lease = await options.sandbox.acquire()
      const { bwrap, kit, identity } = lease
      sandboxed = await prepareSandbox(bwrap, { ...paths, egressSocket }, kit, identity)
    }
    // In the sandbox, its arguments end with the CLI (by its real path).
    const command = sandboxed ? [...(lease?.prefix ?? []), ...sandboxed.command] : [path]
    const skipWebFetchPreflight = !settings.webFetchPreflight
    const args = buildCliArgs({ ...request, ...dir, reusable, skipWebFetchPreflight })
    // The CLI takes a cap on output tokens from its environment only (claude-cli.md §5.6).
    const env: Record<string, string> = request.maxOutputTokens
      ? { CLAUDE_CODE_MAX_OUTPUT_TOKENS: String(request.maxOutputTokens) }
      : {}
    const extras = sandboxed && { fds: sandboxed.fds }
    const session = createCliSession(await launch(command, args, dir.cwd, env, extras), dir)
    onSession(session)
    // The sandbox's user and cgroup are free again once its processes are gone.
    const held = lease
    if (held) void session.exited.then(() => held.release())
    lease = undefined
    return session
  } catch (error) {
    await lease?.release()
    await dir.cleanup?.().catch(() => {})
    throw error
  } finally {
    // The process has its own copies of the descriptors by now.
    await sandboxed?.release()
  }
}

/** Whether a session that served a run may serve its tenant again: any doubt retires it. */
const resetForReuse = async (
  session: CliSession,
  sessionId: string,
  { runsPerProcess, maxProcessRssMb }: ProcessSourceOptions['settings']
) => {
  if (session.runs >= runsPerProcess) return false
  const resident = (await residentBytes(session.pid)) ?? 0
  if (resident > maxProcessRssMb * 1024 * 1024) return false
  return session.reset(sessionId, 10_000)
}

export type ProcessSource = ReturnType<typeof createProcessSource>

export const createProcessSource = (options: ProcessSourceOptions) => {
  const { settings, logger, warmShapes = [{ model: 'haiku', maxTurns: 1 }] } = options
  const { runsPerProcess, warmProcesses } = settings
  // Reused processes wait in the pool, so without one there is no reuse either.
  const reuse = settings.reuseProcesses && runsPerProcess > 1 && warmProcesses > 0
  const pool = createWarmPool({
    size: warmProcesses,
    idleMs: settings.warmIdleMs,
    start: (shape) => startCold(options, { prompt: '', ...shape }, undefined, reuse),
    onError: (error) =>
      logger.warn('could not start a CLI process ahead', { error: String(error) }),
  })
  // Started after this tick, so creating the runner (and the server's start) does not wait.
  for (const shape of warmShapes) {
    for (let i = 0; i < warmProcesses; i++) setTimeout(() => pool.refill(shape), 0)
  }

  return {
    startCold: (request: RunRequest, sandbox?: string) => startCold(options, request, sandbox),
    /** What waits in the pool now, and what it did since start. */
    status: pool.status,
    /** Stops what waits and what is being reset; nothing is taken from it afterwards. */
    close: pool.close,
    /** The run's place: sandboxed runs start cold; clean runs may leave their process to reuse. */
    placeOf(request: RunRequest, sandbox?: string): RunPlace {
      const shape = sandbox ? undefined : warmShapeOf(request)
      return { sandbox, shape, tenant: shape && reuse ? tenantOf(request) : undefined }
    },
    /** A session for the run: its tenant's or a fresh one from the pool, else a cold start. */
    async acquire(request: RunRequest, sandbox?: string, shape?: WarmShape, tenant?: string) {
      const ready = shape && (await pool.take(shape, tenant))
      return ready || (await startCold(options, request, sandbox, tenant !== undefined))
    },
    /** After a run: reset for reuse (off the response's time), or stopped and cleaned up. */
    async settle(session: CliSession, { shape, tenant, completed }: Outcome) {
      if (shape && tenant && completed && session.state === 'running') {
        const sessionId = completed
        pool.recycle(session, shape, tenant, () => resetForReuse(session, sessionId, settings))
        return
      }
      await session.stop()
      // The next run of this shape finds a process ready; started now, off this run's CPU.
      if (shape && tenant) pool.discard(shape)
      else if (shape) pool.refill(shape)
    },
  }
}
