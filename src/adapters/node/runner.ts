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
import { type Logger, silentLogger } from '../../lib/logger.js'
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
import { createLauncher } from './orphans.js'
import type { CliProcess } from './process.js'
import { createSandboxProbe, needsSandbox, sandboxArgs } from './sandbox.js'
import { createSessionStore } from './sessions.js'
import { createStatusProbe } from './status-probe.js'
import { createCliTranslator, initializeLine, parseCliLine, userLine } from './stream-json.js'
import { prepareWorkDir } from './work-dir.js'

export type NodeRunnerOptions = {
  /** Path to the CLI; default CLAUDE_BIN, the pinned dependency, or `claude` on PATH. */
  binary?: string
  /** The environment the child's is built from; default `process.env`. */
  env?: Record<string, string | undefined>
  /** Let ANTHROPIC_API_KEY through to the CLI (default: removed). */
  allowApiKey?: boolean
  /** Built-in tools runs may use; requests can narrow this, never widen it. Default: none. */
  allowedTools?: string[]
  /** Concurrent CLI processes; default twice the CPU count, at least 2. */
  maxConcurrency?: number
  /** Runs that may wait for a slot; beyond that, `QueueFullError`. Default 32. */
  maxQueue?: number
  /** Deadline of a run (queueing included) when the request sets none. Default 5 minutes. */
  timeoutMs?: number
  /** Upper bound for a request's own deadline. Default 15 minutes. */
  maxTimeoutMs?: number
  /** Between SIGTERM and SIGKILL. Default 3 s. */
  killGraceMs?: number
  /** CLAUDE_CODE_MAX_RETRIES for the child. Default 2. */
  maxRetries?: number
  /** API_TIMEOUT_MS for the child (per API attempt). Default 120 s. */
  apiTimeoutMs?: number
  /** Where run and session directories are made. Default `<tmpdir>/claude-code-api`. */
  workDir?: string
  /** bubblewrap, for runs with tools rules cannot confine (Bash); `null`: none, such runs are refused. Default /usr/bin/bwrap when it works. */
  sandbox?: string | null
  /** Files a sandboxed run must not see (the keys file). */
  hiddenPaths?: string[]
  /** A kept session unused for this long is removed. Default 7 days. */
  sessionTtlMs?: number
  /** Kept sessions per key (per owner); the least recently used beyond it go. Default 50. */
  maxSessionsPerKey?: number
  logger?: Logger
}

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
      const { path } = binary()
      const dir = await prepareWorkDir(request, dirs)
      cleanup = dir.cleanup
      const args = buildCliArgs({ ...request, ...dir })
      controller.signal.throwIfAborted()
      const command = sandbox
        ? [sandbox, ...(await sandboxArgs({ cwd: dir.cwd, ...dirs, hidden })), path]
        : [path]
      proc = await launch(command, args, dir.cwd)
      active.add(proc)
      const current = proc
      controller.signal.addEventListener('abort', () => void current.terminate(), { once: true })
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
      controllers.delete(controller)
      inflight.delete(done)
      finished()
    }
  }

  const cliStatus = createStatusProbe(env, childEnv, options.binary)
  const status = async (): Promise<RunnerStatus> => ({
    ...(await cliStatus()),
    capacity: capacity.status(),
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
