import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CliNotFoundError,
  CliProtocolError,
  DeadlineExceededError,
  PolicyError,
  RunAbortedError,
  RunnerUnavailableError,
  SessionNotFoundError,
} from '../../errors.js'
import { silentLogger } from '../../lib/logger.js'
import { createCapacity } from '../../run/capacity.js'
import { isSafeModel, TOOL_PATTERN } from '../../run/models.js'
import { assertRunnable } from '../../run/request-check.js'
import type {
  ClaudeRunner,
  ModelInfo,
  RunEvent,
  RunnerStatus,
  RunOptions,
  RunRequest,
} from '../../runner.js'
import { buildChildEnv, buildCliArgs } from './args.js'
import { resolveClaudeBinary } from './binary.js'
import { logFailure, noResultError } from './failures.js'
import { claudeConfigDir } from './history.js'
import { probeModels } from './models-probe.js'
import type { NodeRunnerOptions } from './options.js'
import { createLauncher } from './orphans.js'
import type { CliProcess } from './process.js'
import { createSandboxProbe, needsSandbox, sandboxArgs } from './sandbox.js'
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const defaultMaxConcurrency = () => Math.max(2, availableParallelism() * 2)

export const createNodeRunner = (options: NodeRunnerOptions = {}): NodeRunner => {
  const env = options.env ?? process.env
  const logger = options.logger ?? silentLogger
  const ceiling = new Set(options.allowedTools ?? [])
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

  /** A CLI process started now for the run, in its own working directory. */
  const startCold = async (request: RunRequest, sandbox?: string): Promise<Warm> => {
    const { path } = binary()
    const dir = await prepareWorkDir(request, dirs)
    try {
      const command = sandbox
        ? [sandbox, ...(await sandboxArgs({ cwd: dir.cwd, ...dirs, hidden })), path]
        : [path]
      return { proc: await launch(command, buildCliArgs({ ...request, ...dir }), dir.cwd), dir }
    } catch (error) {
      await dir.cleanup?.().catch(() => {})
      throw error
    }
  }
  const pool = createWarmPool({
    size: options.warmProcesses ?? 0,
    idleMs: options.warmIdleMs ?? 600_000,
    start: (shape) => startCold({ prompt: '', ...shape }),
    onError: (error) =>
      logger.warn('could not start a CLI process ahead', { error: String(error) }),
  })
  // Started after this tick, so creating the runner (and the server's start) does not wait.
  for (const shape of options.warmShapes ?? [{ model: 'haiku', maxTurns: 1 }]) {
    for (let i = 0; i < (options.warmProcesses ?? 0); i++) setTimeout(() => pool.refill(shape), 0)
  }
  const probeSandbox = createSandboxProbe(options.sandbox)
  const requireSandbox = async () => {
    const found = await probeSandbox()
    if (!found) {
      throw new PolicyError(
        'Bash runs only inside an OS sandbox (bubblewrap), which this server does not have: leave Bash out of allowed_tools, or ask the operator to install bubblewrap'
      )
    }
    return found
  }

  const binary = () => {
    const found = resolveClaudeBinary(env, options.binary)
    if (!found) {
      throw new CliNotFoundError(
        'The Claude Code CLI is not installed on the server (set CLAUDE_BIN or install @anthropic-ai/claude-code)'
      )
    }
    return found
  }

  const checkRequest = (request: RunRequest) => {
    assertRunnable(request)
    if (request.model !== undefined && !isSafeModel(request.model)) {
      throw new PolicyError(`Model name not allowed: ${JSON.stringify(request.model)}`)
    }
    for (const tool of [...(request.allowedTools ?? []), ...(request.disallowedTools ?? [])]) {
      if (!TOOL_PATTERN.test(tool))
        throw new PolicyError(`Invalid tool name: ${JSON.stringify(tool)}`)
    }
    const denied = (request.allowedTools ?? []).filter((tool) => !ceiling.has(tool))
    if (denied.length > 0) {
      throw new PolicyError(`Tools not allowed by the server's policy: ${denied.join(', ')}`)
    }
    if (request.history?.length && (request.resumeSessionId || request.persistSession)) {
      throw new PolicyError('history cannot be combined with a kept session')
    }
    if (request.resumeSessionId !== undefined && !UUID.test(request.resumeSessionId)) {
      throw new SessionNotFoundError('No session with that id')
    }
  }

  async function* run(request: RunRequest, runOptions: RunOptions = {}): AsyncGenerator<RunEvent> {
    checkRequest(request)
    // Checked before the run takes a slot: without a sandbox such a run is refused outright.
    const sandbox = needsSandbox(request.allowedTools) ? await requireSandbox() : undefined
    const shape = sandbox ? undefined : warmShapeOf(request)
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
    let proc: CliProcess | undefined
    let cleanup: (() => Promise<void>) | undefined
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
      const started = (shape && pool.take(shape)) || (await startCold(request, sandbox))
      proc = started.proc
      cleanup = started.dir.cleanup
      active.add(proc)
      const current = proc
      controller.signal.addEventListener('abort', () => void current.terminate(), { once: true })
      controller.signal.throwIfAborted()
      yield { type: 'started' }

      // Everything the CLI needs goes on stdin; closing it makes the CLI exit after this turn.
      proc.child.stdin.write(`${initializeLine(request)}\n${userLine(request.prompt)}\n`)
      proc.child.stdin.end()

      const translator = createCliTranslator(request)
      for await (const line of proc.lines) {
        const message = parseCliLine(line)
        if (!message) continue
        for (const event of translator.translate(message)) yield event
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
      if (proc) {
        await proc.terminate()
        active.delete(proc)
      }
      release?.()
      await cleanup?.().catch(() => {})
      // The next run of this shape finds a process ready; started now, off this run's CPU time.
      if (shape) pool.refill(shape)
      controllers.delete(controller)
      inflight.delete(done)
      finished()
    }
  }

  const cliStatus = createStatusProbe(env, childEnv, options.binary)
  const status = async (): Promise<RunnerStatus> => ({
    ...(await cliStatus()),
    capacity: capacity.status(),
    processes: pool.status(),
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
