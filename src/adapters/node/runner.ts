import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CliProtocolError,
  DeadlineExceededError,
  RunAbortedError,
  RunnerUnavailableError,
} from '../../errors.js'
import { silentLogger } from '../../lib/logger.js'
import { createCapacity } from '../../run/capacity.js'
import { createQuotaGate } from '../../run/quota.js'
import type {
  ClaudeRunner,
  ModelInfo,
  RunEvent,
  RunnerStatus,
  RunOptions,
  RunRequest,
} from '../../runner.js'
import { buildChildEnv, buildCliArgs } from './args.js'
import { requireClaudeBinary } from './binary.js'
import { logFailure, noResultError } from './failures.js'
import { claudeConfigDir } from './history.js'
import { probeModels } from './models-probe.js'
import type { NodeRunnerOptions } from './options.js'
import { createLauncher } from './orphans.js'
import type { CliProcess } from './process.js'
import { clearConversation, residentBytes, tenantOf } from './recycle.js'
import { createRequestPolicy } from './request-policy.js'
import { createSandboxRequirement, needsSandbox, sandboxArgs } from './sandbox.js'
import { createSessionStore } from './sessions.js'
import { createStatusProbe } from './status-probe.js'
import { createCliTranslator, initializeLine, parseCliLine, userLine } from './stream-json.js'
import { createWarmPool, type Warm, warmShapeOf } from './warm-pool.js'

export type { NodeRunnerOptions }

import { prepareWorkDir } from './work-dir.js'

export type NodeRunner = ClaudeRunner & {
  /**
   * Shuts down: refuses new runs, lets running ones finish within `graceMs` (default 0), stops
   * the rest, and resolves once every run has cleaned up after itself.
   */
  close(graceMs?: number): Promise<void>
}

export const defaultMaxConcurrency = () => Math.max(2, availableParallelism() * 2)

export const createNodeRunner = (options: NodeRunnerOptions = {}): NodeRunner => {
  const env = options.env ?? process.env
  const logger = options.logger ?? silentLogger
  const checkRequest = createRequestPolicy(options.allowedTools)
  const capacity = createCapacity({
    maxConcurrency: options.maxConcurrency ?? defaultMaxConcurrency(),
    maxQueue: options.maxQueue ?? 32,
  })
  const defaultTimeoutMs = options.timeoutMs ?? 300_000
  const maxTimeoutMs = Math.max(options.maxTimeoutMs ?? 900_000, defaultTimeoutMs)
  const killGraceMs = options.killGraceMs ?? 3_000
  const workDir = options.workDir ?? join(tmpdir(), 'claude-code-api')
  const childEnv = buildChildEnv(env, {
    allowApiKey: options.allowApiKey,
    maxRetries: options.maxRetries,
    apiTimeoutMs: options.apiTimeoutMs,
  })
  const active = new Set<CliProcess>()
  const inflight = new Set<Promise<void>>()
  const controllers = new Set<AbortController>()
  let closing = false
  const configDir = claudeConfigDir(childEnv)
  const sessions = createSessionStore({
    workDir,
    configDir,
    ttlMs: options.sessionTtlMs,
    maxPerOwner: options.maxSessionsPerKey,
  })
  const dirs = { workDir, configDir, sessions }
  const hidden = options.hiddenPaths ?? []
  const launch = createLauncher({ workDir, env: childEnv, killGraceMs, logger })

  const runsPerProcess = options.runsPerProcess ?? 20
  // Reused processes wait in the pool, so without one there is no reuse either.
  const reuse =
    options.reuseProcesses !== false && runsPerProcess > 1 && (options.warmProcesses ?? 0) > 0
  const maxRssBytes = (options.maxProcessRssMb ?? 400) * 1024 * 1024

  /** A CLI process started now for the run, in its own working directory. */
  const startCold = async (request: RunRequest, sandbox?: string, reusable = false) => {
    const { path } = binary()
    const dir = await prepareWorkDir(request, dirs)
    try {
      const command = sandbox
        ? [sandbox, ...(await sandboxArgs({ cwd: dir.cwd, ...dirs, hidden })), path]
        : [path]
      const args = buildCliArgs({ ...request, ...dir, reusable })
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
  const requireSandbox = createSandboxRequirement(options.sandbox)
  const binary = () => requireClaudeBinary(env, options.binary)
  const quota = createQuotaGate({ logger, probeEveryMs: options.quotaProbeMs })

  async function* run(request: RunRequest, runOptions: RunOptions = {}): AsyncGenerator<RunEvent> {
    checkRequest(request)
    // A login whose quota is used up refuses at once, without starting a CLI (but a probe).
    quota.admit()
    // Checked before the run takes a slot: without a sandbox such a run is refused outright.
    const sandbox = needsSandbox(request.allowedTools) ? await requireSandbox() : undefined
    const shape = sandbox ? undefined : warmShapeOf(request)
    // A run that may leave its process to its tenant's next run (see recycle.ts).
    const tenant = shape && reuse ? tenantOf(request) : undefined
    if (closing) throw new RunnerUnavailableError('The server is shutting down', { retryAfter: 5 })
    let finished!: () => void
    const done = new Promise<void>((resolve) => (finished = resolve))
    inflight.add(done)
    const signal = runOptions.signal
    if (signal?.aborted) throw new RunAbortedError('The run was aborted')
    const controller = new AbortController()
    controllers.add(controller)
    const timeoutMs = Math.min(request.timeoutMs ?? defaultTimeoutMs, maxTimeoutMs)
    const timer = setTimeout(
      () =>
        controller.abort(
          new DeadlineExceededError(`The run did not finish within its deadline (${timeoutMs} ms)`)
        ),
      timeoutMs
    )
    const onAbort = () => controller.abort(new RunAbortedError('The run was aborted'))
    signal?.addEventListener('abort', onAbort, { once: true })

    let release: (() => void) | undefined
    let waiting: Promise<() => void> | undefined
    let started: Warm | undefined
    let proc: CliProcess | undefined
    /** The session id of a run that ended cleanly: its process may be reused. */
    let completed: string | null = null
    try {
      const admission = capacity.admit(controller.signal, request.owner)
      if (admission.queued) {
        waiting = admission.ready
        yield { type: 'queued', position: admission.position }
        release = await admission.ready
      } else {
        release = admission.release
      }
      controller.signal.throwIfAborted()
      started = (shape && (await pool.take(shape, tenant))) || {
        ...(await startCold(request, sandbox, tenant !== undefined)),
        runs: 0,
      }
      proc = started.proc
      active.add(proc)
      const current = proc
      controller.signal.addEventListener('abort', () => void current.terminate(), { once: true })
      controller.signal.throwIfAborted()
      yield { type: 'started' }

      // Everything the CLI needs goes on stdin (`initialize` once per process). Closing stdin
      // makes the CLI exit after this turn; a process that may be reused keeps it open.
      const init = started.runs === 0 ? `${initializeLine(request)}\n` : ''
      proc.child.stdin.write(`${init}${userLine(request.prompt)}\n`)
      if (!tenant) proc.child.stdin.end()

      const translator = createCliTranslator(request)
      for await (const line of proc.lines) {
        const message = parseCliLine(line)
        if (!message) continue
        for (const event of translator.translate(message)) {
          if (event.type === 'quota') quota.report(event.quota)
          yield event
        }
        if (tenant && message.type === 'result') break
      }
      if (tenant && translator.hasResult()) {
        controller.signal.throwIfAborted()
        const result = translator.finish()
        completed = result.sessionId
        yield { type: 'result', result }
        return
      }
      const exit = await proc.exited
      controller.signal.throwIfAborted()
      if (!translator.hasResult()) throw noResultError(exit.code, proc.stderrTail())
      const result = translator.finish()
      if (exit.code !== 0) {
        throw new CliProtocolError(`The Claude Code CLI exited with code ${exit.code}`)
      }
      yield { type: 'result', result }
    } catch (error) {
      // An abort surfaces as whatever was in flight (a closed pipe, a rejected wait): report why.
      const reason = controller.signal.aborted ? controller.signal.reason : error
      logFailure(logger, reason, proc)
      throw reason
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      if (waiting && !release) {
        // Stopped while queued (e.g. `break` on the queued event): give up the place, and the
        // slot too if it was granted in the meantime.
        controller.abort(new RunAbortedError('The run was aborted'))
        void waiting.then(
          (granted) => granted(),
          () => {}
        )
      }
      if (proc) active.delete(proc)
      const runs = (started?.runs ?? 0) + 1
      if (started && shape && tenant && completed && !controller.signal.aborted) {
        // Reset off the response's time; any doubt (memory, no proof of reset) retires it.
        const { proc: used } = started
        const sessionId = completed
        pool.recycle({ ...started, runs }, shape, tenant, async () => {
          if (runs >= runsPerProcess) return false
          if (((await residentBytes(used.child.pid)) ?? 0) > maxRssBytes) return false
          return clearConversation(used, sessionId, 10_000)
        })
        release?.()
      } else {
        await proc?.terminate()
        release?.()
        await started?.dir.cleanup?.().catch(() => {})
        // The next run of this shape finds a process ready; started now, off this run's CPU.
        if (shape && tenant) pool.discard(shape)
        else if (shape) pool.refill(shape)
      }
      controllers.delete(controller)
      inflight.delete(done)
      finished()
    }
  }

  const cliStatus = createStatusProbe(env, childEnv, options.binary)
  const status = async (): Promise<RunnerStatus> => ({
    ...(await cliStatus()),
    capacity: capacity.status(),
    processes: { ...pool.status(), busy: active.size },
    quota: quota.current() ?? null,
  })

  let modelsCache: ModelInfo[] | undefined
  const models = async (): Promise<ModelInfo[]> => {
    modelsCache ??= await probeModels({
      launch: (args, cwd) => launch([binary().path], args, cwd),
      capacity,
      prepare: () => prepareWorkDir({}, dirs),
    })
    return modelsCache
  }

  return {
    run,
    status,
    models,
    quota: quota.current,
    async close(graceMs = 0) {
      closing = true
      await pool.close()
      // Runs in progress may finish within the grace period; the rest are stopped.
      const all = Promise.all([...inflight])
      if (graceMs > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined
        await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
        clearTimeout(timer)
      }
      const stopping = new RunnerUnavailableError('The server shut down before the run finished')
      for (const controller of controllers) controller.abort(stopping)
      await Promise.all([...active].map((proc) => proc.terminate()))
      // Every run's cleanup (its directories) is done before this resolves.
      await Promise.all([...inflight])
    },
  }
}
