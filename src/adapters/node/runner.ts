import { availableParallelism } from 'node:os'
import {
  CliProtocolError,
  DeadlineExceededError,
  RunAbortedError,
  RunnerUnavailableError,
} from '../../errors.js'
import { silentLogger } from '../../lib/logger.js'
import { createCapacity } from '../../run/capacity.js'
import { conversationKey } from '../../run/conversation-key.js'
import { createQuotaGate } from '../../run/quota.js'
import type {
  ClaudeRunner,
  RunEvent,
  RunnerStatus,
  RunOptions,
  RunRequest,
  ToolResult,
} from '../../runner.js'
import { buildChildEnv } from './args.js'
import { requireClaudeBinary } from './binary.js'
import { answerLine, converse } from './converse.js'
import { logFailure, noResultError } from './failures.js'
import { claudeConfigDir } from './history.js'
import { createModelsList } from './models-probe.js'
import { defaultWorkDir, type NodeRunnerOptions } from './options.js'
import { createLauncher } from './orphans.js'
import { createParkedRuns, type ParkedRun } from './parked-runs.js'
import type { CliProcess } from './process.js'
import { createProcessSource } from './process-source.js'
import { tenantOf } from './recycle.js'
import { createRequestPolicy } from './request-policy.js'
import { createSandboxRequirement, needsSandbox } from './sandbox.js'
import { createSessionStore } from './sessions.js'
import { createStatusProbe } from './status-probe.js'
import { createCliTranslator, initializeLine, userLine } from './stream-json.js'
import { chargePart, finishTurn } from './tool-charges.js'
import { type Warm, warmShapeOf } from './warm-pool.js'

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
  const workDir = options.workDir ?? defaultWorkDir()
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
  const launch = createLauncher({ workDir, env: childEnv, killGraceMs, logger })

  const requireSandbox = createSandboxRequirement(options.sandbox)
  const binary = () => requireClaudeBinary(env, options.binary)
  const source = createProcessSource({ options, dirs, launch, binary, logger })
  const { pool } = source
  const quota = createQuotaGate({ logger, probeEveryMs: options.quotaProbeMs })
  const parked = createParkedRuns({
    ttlMs: options.toolWaitMs ?? 300_000,
    max: options.maxParkedRuns ?? 16,
    maxPerOwner: options.maxParkedRunsPerKey ?? 4,
    onExpire: (run) => {
      logger.warn('stopped a run that waited too long for tool results', { calls: run.calls })
      void run.proc.terminate().then(() => run.dir.cleanup?.().catch(() => {}))
    },
  })

  async function* run(request: RunRequest, runOptions: RunOptions = {}): AsyncGenerator<RunEvent> {
    checkRequest(request)
    // Tool results continue the run that waits for them (its process is alive, waiting).
    const resumed = request.toolResults?.length
      ? parked.take(request.toolResults, request.owner, request.conversation)
      : undefined
    // A login whose quota is used up refuses at once, without starting a CLI (but a probe).
    if (!resumed) quota.admit()
    // Checked before the run takes a slot: without a sandbox such a run is refused outright.
    const sandbox = needsSandbox(request.allowedTools) ? await requireSandbox() : undefined
    const shape = sandbox ? undefined : warmShapeOf(request)
    // A run that may leave its process to its tenant's next run (see recycle.ts).
    const tenant = shape && source.reuse ? tenantOf(request) : undefined
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
    /** A run that waits for the client's tool results when this part ends. */
    let parking: ParkedRun | undefined
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
      started = resumed
        ? { proc: resumed.proc, dir: resumed.dir, runs: 1 }
        : await source.acquire(request, sandbox, shape, tenant)
      proc = started.proc
      active.add(proc)
      const current = proc
      controller.signal.addEventListener('abort', () => void current.terminate(), { once: true })
      controller.signal.throwIfAborted()
      yield { type: 'started' }

      const tools = resumed?.tools ?? request.tools ?? []
      const results = new Map(request.toolResults?.map((r) => [r.toolUseId, r]))
      const translator = resumed?.translator ?? createCliTranslator(request)
      // Everything the CLI needs goes on stdin (`initialize` once per process). Closing stdin
      // makes the CLI exit after this turn; a process that may be reused, or that serves
      // client tools (their answers go on stdin), keeps it open.
      const keepOpen = Boolean(tenant) || tools.length > 0
      if (resumed) {
        for (const call of resumed.pending) {
          proc.child.stdin.write(`${answerLine(call, results.get(call.toolUseId) as ToolResult)}\n`)
        }
      } else {
        const init = started.runs === 0 ? `${initializeLine(request)}\n` : ''
        proc.child.stdin.write(`${init}${userLine(request.prompt)}\n`)
        if (!keepOpen) proc.child.stdin.end()
      }

      const stretch = yield* converse(proc, translator, {
        tools,
        results,
        stopAtResult: keepOpen,
        onEvent: (event) => event.type === 'quota' && quota.report(event.quota),
      })
      controller.signal.throwIfAborted()
      if (stretch.kind === 'parked') {
        const part = translator.suspend()
        if (!part.toolCalls?.length) {
          part.toolCalls = stretch.pending.map((c) => ({
            id: c.toolUseId,
            name: c.name,
            input: c.input,
          }))
        }
        const calls = part.toolCalls.map((call) => call.id)
        const bill = chargePart(part, resumed?.charged ?? 0, await models().catch(() => []))
        part.totalCostUsd = bill.costUsd
        parking = {
          ...started,
          owner: request.owner,
          tools,
          translator,
          pending: stretch.pending,
          calls,
          made: part.toolCalls,
          charged: bill.charged,
          conversation: resumed?.conversation ?? conversationKey(request),
        }
        yield { type: 'result', result: part }
        return
      }
      if (stretch.kind === 'result' && translator.hasResult()) {
        const result = finishTurn(translator, resumed?.charged)
        completed = tenant ? result.sessionId : null
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
      const aborted = controller.signal.aborted
      // Parked: it waits, process and all, for the client's next request (parked-runs.ts).
      if (parking && !aborted) parked.park(parking)
      else if (started) await source.settle(started, { shape, tenant, completed, aborted })
      release?.()
      controllers.delete(controller)
      inflight.delete(done)
      finished()
    }
  }

  const cliStatus = createStatusProbe(env, childEnv, options.binary)
  const status = async (): Promise<RunnerStatus> => ({
    ...(await cliStatus()),
    capacity: capacity.status(),
    processes: { ...pool.status(), busy: active.size, parked: parked.size() },
    quota: quota.current() ?? null,
  })

  const models = createModelsList({
    launch: (args, cwd) => launch([binary().path], args, cwd),
    capacity,
    prepare: () => prepareWorkDir({}, dirs),
  })

  return {
    run,
    status,
    models,
    quota: quota.current,
    async close(graceMs = 0) {
      closing = true
      await pool.close()
      parked.close()
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
      // Every run's cleanup (its directories) is done before this resolves, and so is the end
      // of the processes those runs handed back meanwhile.
      await Promise.all([...inflight])
      await pool.close()
    },
  }
}
