/**
 * Where a run's CLI session comes from and where it goes: the process that holds the run's
 * earlier turns (held-conversations.ts), a ready one from the warm pool, or one started cold in
 * its own directory (inside the sandbox when the run needs one); afterwards held for the
 * conversation's next turn, reset for its tenant's next run (tenant.ts), or stopped with its
 * directory cleaned up.
 */

import type { RunRequest } from '../../../contract/runner.js'
import type { Logger } from '../../../lib/logger.js'
import { historyOf } from '../../../run/conversation-key.js'
import type { TraceCarrier } from '../../../tracing/context.js'
import { buildCliArgs } from '../cli-protocol/args.js'
import { prepareWorkDir, type WorkDirOptions } from '../disk/work-dir.js'
import type { EgressProxy } from '../process/egress-proxy.js'
import { residentBytes } from '../process/memory.js'
import { type ModelRelay, type RelayRoute, STAND_IN_TOKEN } from '../process/model-relay.js'
import { prepareSandbox, type SandboxLaunch } from '../process/sandbox.js'
import type { SandboxLease } from '../process/sandbox-probe.js'
import type { CliProcess, LaunchExtras } from '../process/spawn.js'
import type { TelemetryRelay, TelemetryRoute } from '../process/telemetry-relay.js'
import { type CliSession, createCliSession } from '../session/cli-session.js'
import type { NodeRunnerOptions, RunnerSettingsOutput } from '../settings.js'
import { createHeldConversations, heldKey } from './held-conversations.js'
import { type LoginEnv, type LoginTokens, loginEnvOf } from './login-env.js'
import {
  type Outcome,
  type ProcessOrigin,
  poolKey,
  type RunPlace,
  type WarmShape,
  warmShapeOf,
} from './shape.js'
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
  /** Where the model calls of a run with an output token cap, or on a key's login, go. */
  relay: Pick<ModelRelay, 'open'>
  /** Where each process's own telemetry goes, when tracing is on (telemetry-relay.ts). */
  telemetry?: Pick<TelemetryRelay, 'open'>
  /** Where a run that needs a sandbox gets one (asked only for such runs). */
  sandbox: { acquire(): Promise<SandboxLease> }
  warmShapes?: NodeRunnerOptions['warmShapes']
  dirs: WorkDirOptions
  launch: Launch
  binary: () => string
  logger: Logger
  /** Every session started, from its start until it stops (the runner's registry). */
  onSession: (session: CliSession) => void
  /** The logins keys run on, by name (a run's `login`). */
  logins?: LoginTokens
}

/** Which login each process was started with (a fingerprint; none: the server's own). */
const loginOfSession = new WeakMap<CliSession, string>()
/** Where each process's telemetry goes, when tracing is on. */
const telemetryOfSession = new WeakMap<CliSession, TelemetryRoute>()

/** A session started now for the run, in its own working directory. */
const startCold = async (
  options: ProcessSourceOptions,
  request: RunRequest,
  sandbox?: string,
  reusable = false,
  /** The run's login, when the caller has looked it up already. */
  known?: LoginEnv,
  /** The run's span, the CLI's parent; none for a process started ahead. */
  trace?: TraceCarrier
) => {
  const { settings, hiddenPaths = [], egress, dirs, launch, binary, onSession } = options
  const path = binary()
  // A run on a key's login: refused before anything starts when the login is not there.
  const login =
    known ?? (request.login ? await loginEnvOf(options.logins, request.login) : undefined)
  // A run with a shape has no built-in tools: it needs no directory of its own.
  const dir = await prepareWorkDir(request, dirs, !sandbox && warmShapeOf(request) !== undefined)
  let lease: SandboxLease | undefined
  let sandboxed: SandboxLaunch | undefined
  let relayed: RelayRoute | undefined
  let telemetry: TelemetryRoute | undefined
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
    // The CLI takes a cap on output tokens from its environment only (claude-cli.md §5.6). Its
    // model calls then go through the relay that stops them at the cap; so do those of a process
    // on a key's login, which holds a stand-in for the token the relay puts on (model-relay.ts).
    const capped = request.maxOutputTokens !== undefined
    relayed =
      capped || login ? await options.relay.open({ capped, token: login?.token }) : undefined
    telemetry = await options.telemetry?.open(trace)
    const env: Record<string, string> = {
      ...telemetry?.env,
      ...(login && { CLAUDE_CODE_OAUTH_TOKEN: STAND_IN_TOKEN }),
      ...(capped && { CLAUDE_CODE_MAX_OUTPUT_TOKENS: String(request.maxOutputTokens) }),
      ...(relayed && { ANTHROPIC_BASE_URL: relayed.baseUrl }),
    }
    const extras = sandboxed && { fds: sandboxed.fds }
    const proc = await launch(command, args, dir.cwd, env, extras)
    const session = createCliSession(proc, dir, { reusable })
    if (login) loginOfSession.set(session, login.print)
    onSession(session)
    // The sandbox's user and cgroup are free again once its processes are gone.
    const held = lease
    if (held) void session.exited.then(() => held.release())
    const route = relayed
    if (route) void session.exited.then(() => route.close())
    const exports = telemetry
    if (exports) {
      telemetryOfSession.set(session, exports)
      void session.exited.then(() => exports.close())
    }
    lease = undefined
    relayed = undefined
    telemetry = undefined
    return session
  } catch (error) {
    relayed?.close()
    telemetry?.close()
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
  const holding = settings.heldConversations > 0
  const pool = createWarmPool({
    size: warmProcesses,
    idleMs: settings.warmIdleMs,
    start: (shape) => startCold(options, { prompt: '', ...shape }, undefined, reuse),
    onError: (error) =>
      logger.warn('could not start a CLI process ahead', { error: String(error) }),
  })
  const conversations = createHeldConversations({
    max: settings.heldConversations,
    maxPerOwner: settings.heldConversationsPerKey,
    idleMs: settings.heldConversationMs,
  })
  // Started after this tick, so creating the runner (and the server's start) does not wait.
  for (const shape of warmShapes) {
    for (let i = 0; i < warmProcesses; i++) setTimeout(() => pool.refill(shape), 0)
  }
  /**
   * A process this tenant used before: reset and waiting, or holding one of its conversations
   * (reset now, which is still sooner than a fresh process answers).
   */
  const takeOwn = async (shape: WarmShape, tenant: string) => {
    const reused = await pool.takeReused(shape, tenant)
    if (reused) return reused
    const held = conversations.takeToClear(poolKey(shape, tenant))
    if (!held) return undefined
    if (await resetForReuse(held.session, held.sessionId, settings)) return held.session
    await held.session.stop()
    return undefined
  }
  /** A process may hold its conversation while it stays within the memory a process may use. */
  const fits = async (session: CliSession) =>
    ((await residentBytes(session.pid)) ?? 0) <= settings.maxProcessRssMb * 1024 * 1024

  return {
    startCold: (request: RunRequest, sandbox?: string) => startCold(options, request, sandbox),
    /** Throws `login_missing` when the server has no login by that name. */
    checkLogin: async (name: string) => void (await loginEnvOf(options.logins, name, false)),
    /** What waits in the pool now, and what it did since start. */
    status: () => {
      const { cleared, ...held } = conversations.status()
      const status = pool.status()
      return { ...status, reused: status.reused + cleared, ...held }
    },
    /** Stops what waits, what is being reset and what holds a conversation. */
    close: async () => {
      await Promise.all([pool.close(), conversations.close()])
    },
    /**
     * The run's place: sandboxed runs start cold; clean runs may leave their process to reuse,
     * or to hold their conversation.
     */
    placeOf(request: RunRequest, sandbox?: string): RunPlace {
      const shape = sandbox ? undefined : warmShapeOf(request)
      return { sandbox, shape, tenant: shape && (reuse || holding) ? tenantOf(request) : undefined }
    },
    /**
     * A session for the run: with earlier turns, the process that holds them, else a cold start
     * that resumes them; otherwise its tenant's or a fresh one from the pool, else a cold start.
     */
    async acquire(
      request: RunRequest,
      { sandbox, shape, tenant }: RunPlace,
      trace?: TraceCarrier
    ): Promise<{ session: CliSession; origin: ProcessOrigin }> {
      // A process that waited serves the run only if it runs on the run's login as it is now
      // (removed, or its token replaced, since it started: stopped, and none serves the run).
      const login = request.login ? await loginEnvOf(options.logins, request.login) : undefined
      const onLogin = (session: CliSession | undefined) => {
        if (!session || loginOfSession.get(session) === login?.print) return session
        void session.stop()
        return undefined
      }
      const cold = async (reusable: boolean) =>
        ({
          session: await startCold(options, request, sandbox, reusable, login, trace),
          origin: request.history?.length || request.resumeSessionId ? 'resumed' : 'cold',
        }) as const
      if (request.history?.length) {
        const key = shape && tenant && heldKey(poolKey(shape, tenant), historyOf(request))
        const held = onLogin(key ? conversations.take(key) : undefined)
        return held ? { session: held, origin: 'held' } : cold(false)
      }
      // The tenant's own process first, reset by /clear (held ones included): it answers sooner
      // than a fresh one, and a conversation with tools starts alike in either (cli-session.ts).
      const own = shape && tenant && reuse ? onLogin(await takeOwn(shape, tenant)) : undefined
      if (own) return { session: own, origin: 'reused' }
      const fresh = shape ? onLogin(pool.takeFresh(shape)) : undefined
      if (fresh) return { session: fresh, origin: 'warm' }
      return cold(reuse && tenant !== undefined)
    },
    /** The session serves a run traced as `trace` until the returned call (telemetry-relay.ts). */
    serving: (session: CliSession, trace: TraceCarrier | undefined, continues: boolean) =>
      telemetryOfSession.get(session)?.serve(trace, continues) ?? (() => {}),
    /**
     * After a run: its process holds the conversation, or is reset for reuse (off the
     * response's time), or is stopped and cleaned up.
     */
    async settle(session: CliSession, outcome: Outcome) {
      const { shape, tenant, completed, conversation } = outcome
      if (shape && tenant && completed && session.state === 'running') {
        if (holding && conversation && (await fits(session)) && session.state === 'running') {
          const place = poolKey(shape, tenant)
          const key = heldKey(place, conversation)
          conversations.hold(session, key, outcome.owner ?? '', { place, sessionId: completed })
          // It has left the pool's keeping: the next run of this shape finds another ready.
          pool.refill(shape)
          return
        }
        if (reuse && session.reusable) {
          const sessionId = completed
          pool.recycle(session, shape, tenant, () => resetForReuse(session, sessionId, settings))
          return
        }
      }
      await session.stop()
      // The next run of this shape finds a process ready; started now, off this run's CPU.
      if (shape && tenant && reuse) pool.discard(shape)
      else if (shape) pool.refill(shape)
    },
  }
}
