/**
 * The Node runner: `ClaudeRunner` over local CLI processes. This file only wires the parts;
 * a run's phases are run/run.ts, where its process comes from is pool/, what is written to and
 * read from the CLI is cli-protocol/, the process's life is session/cli-session.ts.
 */

import type { ClaudeRunner, RunnerStatus } from '../../contract/runner.js'
import { type Logger, silentLogger } from '../../lib/logger.js'
import { createCapacity } from '../../run/capacity.js'
import { createQuotaGates } from '../../run/quota.js'
import { createTracing } from '../../tracing/tracing.js'
import { claudeConfigDir } from './disk/history.js'
import { createSessionStore } from './disk/kept-sessions.js'
import { createModelsList } from './models-probe.js'
import { createProcessSource, type Launch } from './pool/process-source.js'
import { requireClaudeBinary } from './process/binary.js'
import { buildChildEnv } from './process/child-env.js'
import { createEgressProxy, egressSocketPath, egressTargets } from './process/egress-proxy.js'
import { residentBytes } from './process/memory.js'
import { createModelRelay } from './process/model-relay.js'
import { createLauncher } from './process/orphans.js'
import { needsSandbox } from './process/sandbox.js'
import { createSandbox } from './process/sandbox-probe.js'
import { createTelemetryRelay } from './process/telemetry-relay.js'
import { createRequestPolicy } from './request-policy.js'
import { createRunTracker } from './run/control.js'
import { createParkedRuns } from './run/parking.js'
import { createRun } from './run/run.js'
import type { CliSession } from './session/cli-session.js'
import {
  defaultWorkDir,
  type NodeRunnerOptions,
  type RunnerSettingsOutput,
  resolveSettings,
} from './settings.js'
import { createStatusProbe } from './status-probe.js'

export type { NodeRunnerOptions }

export type NodeRunner = ClaudeRunner & {
  /**
   * Shuts down: refuses new runs, lets running ones finish within `graceMs` (default 0), stops
   * the rest, and resolves once every run has cleaned up and every CLI process is gone.
   */
  close(graceMs?: number): Promise<void>
}

/** What tests may put in place of the real thing (a fake CLI process). */
export type NodeRunnerSeams = { launch?: Launch }

/**
 * Where CLI sessions come from (disk, launcher, pool), and the one set of every live session,
 * whatever it is doing: what shutdown stops and status counts.
 */
const createSessions = (
  options: NodeRunnerOptions,
  settings: RunnerSettingsOutput,
  seams: NodeRunnerSeams,
  logger: Logger
) => {
  const env = options.env ?? process.env
  const workDir = options.workDir ?? defaultWorkDir()
  const childEnv = buildChildEnv(env, options)
  const configDir = claudeConfigDir(childEnv)
  const sessions = createSessionStore({
    workDir,
    configDir,
    ttlMs: settings.sessionTtlMs,
    maxPerOwner: settings.maxSessionsPerKey,
    maxBytes: settings.maxSessionMb * 1024 * 1024,
    ...(options.clock && { clock: options.clock }),
  })
  const launch =
    seams.launch ??
    createLauncher({ workDir, env: childEnv, killGraceMs: settings.killGraceMs, logger })
  const live = new Set<CliSession>()
  const sandbox = createSandbox({
    path: options.sandbox,
    workDir,
    limits: {
      memoryMb: settings.sandboxMemoryMb,
      processes: settings.sandboxProcesses,
      cpuSeconds: settings.sandboxCpuSeconds,
      fileMb: settings.sandboxFileMb,
      tmpMb: settings.sandboxTmpMb,
      shmMb: settings.sandboxShmMb,
    },
    totalMemoryMb: settings.sandboxTotalMemoryMb,
    firstUser: { uid: settings.sandboxUid, gid: settings.sandboxGid },
    // Sandboxes at once: the runs in slots, and those waiting for tool results.
    users: settings.maxConcurrency + settings.maxParkedRuns,
    logger,
  })
  // Runs that will need the sandbox are refused from the start if there is none: said now.
  if (needsSandbox(options.allowedTools)) void sandbox.check()
  // Two ways out of the sandbox: the API (and the operator's list) only, and that plus the
  // public web for runs allowed WebFetch (private addresses only as the operator lists them).
  const allow = egressTargets(childEnv.ANTHROPIC_BASE_URL, options.sandboxEgress)
  const egress = {
    api: createEgressProxy({ socketPath: egressSocketPath(workDir), allow, logger }),
    web: createEgressProxy({
      socketPath: egressSocketPath(workDir, 'web-egress'),
      allow,
      publicWeb: true,
      logger,
    }),
  }
  const relay = createModelRelay({
    upstream: childEnv.ANTHROPIC_BASE_URL,
    onListen: (target) => {
      egress.api.allow(target)
      egress.web.allow(target)
    },
    logger,
  })
  const telemetry =
    options.telemetry &&
    createTelemetryRelay({
      targets: options.telemetry,
      onListen: (target) => {
        egress.api.allow(target)
        egress.web.allow(target)
      },
      logger,
    })
  const source = createProcessSource({
    egress,
    relay,
    telemetry,
    sandbox,
    settings,
    hiddenPaths: options.hiddenPaths,
    logins: options.logins,
    warmShapes: options.warmShapes,
    dirs: { workDir, configDir, sessions },
    launch,
    binary: () => requireClaudeBinary(env, options.binary).path,
    logger,
    onSession: (session) => {
      live.add(session)
      void session.exited.then(() => live.delete(session))
    },
  })
  const cliStatus = createStatusProbe(env, childEnv, options.binary)
  const count = (state: CliSession['state']) => [...live].filter((s) => s.state === state).length
  return {
    source,
    requireSandbox: async () => (await sandbox.require()).bwrap,
    sandboxedSession: (id: string) => sessions.isSandboxed(id),
    sessionTranscript: (id: string, owner: string) =>
      sessions.transcript(id, owner).catch(() => undefined),
    cliStatus: cliStatus.read,
    processes: () => ({ ...source.status(), busy: count('running'), parked: count('parked') }),
    stopAll: async () => {
      await Promise.all([...[...live].map((session) => session.stop()), cliStatus.close()])
      await Promise.all([
        egress.api.close(),
        egress.web.close(),
        relay.close(),
        telemetry?.close(),
        sandbox.close(),
      ])
    },
  }
}

export const createNodeRunner = (
  options: NodeRunnerOptions = {},
  seams: NodeRunnerSeams = {}
): NodeRunner => {
  const settings = resolveSettings(options)
  const logger = options.logger ?? silentLogger
  const capacity = createCapacity({
    maxConcurrency: settings.maxConcurrency,
    maxQueue: settings.maxQueue,
    maxPerCaller: settings.maxRunningPerKey ?? Math.max(1, settings.maxConcurrency - 1),
  })
  const {
    source,
    requireSandbox,
    sandboxedSession,
    sessionTranscript,
    cliStatus,
    processes,
    stopAll,
  } = createSessions(options, settings, seams, logger)
  const quota = createQuotaGates({
    logger,
    onLoginReport: (login, report) =>
      void options.logins?.noteQuota?.(login, report).catch(() => {}),
    probeEveryMs: settings.quotaProbeMs,
    ...(options.clock && { now: options.clock.now }),
  })
  const parked = createParkedRuns({
    ttlMs: settings.toolWaitMs,
    max: settings.maxParkedRuns,
    maxPerOwner: settings.maxParkedRunsPerKey,
    maxRssBytes: settings.maxParkedRssMb * 1024 * 1024,
    residentBytes,
    onExpire: (run) =>
      logger.warn('stopped a run that waited too long for tool results', { calls: run.calls }),
  })
  const tracker = createRunTracker()
  const models = createModelsList({ start: () => source.startCold({ prompt: '' }), capacity })

  const run = createRun({
    checkRequest: createRequestPolicy(options.allowedTools),
    quota,
    requireSandbox,
    sandboxedSession,
    source,
    parked,
    capacity,
    tracker,
    models,
    logger,
    timeoutMs: (request) =>
      Math.min(request.timeoutMs ?? settings.timeoutMs, settings.maxTimeoutMs),
    tracing: options.tracing ?? createTracing(),
  })

  const status = async (): Promise<RunnerStatus> => ({
    ...(await cliStatus()),
    capacity: capacity.status(),
    processes: processes(),
    quota: quota.of().current() ?? null,
    logins: quota.logins(),
  })

  return {
    run,
    status,
    models,
    quota: (login?: string) => quota.of(login).current(),
    tools: async () => options.allowedTools ?? [],
    capacity: capacity.status,
    sessionTranscript,
    async close(graceMs = 0) {
      await source.close()
      parked.close()
      // Runs in progress may finish within the grace period; the rest are stopped.
      await tracker.close(graceMs)
      // Again: runs that ended meanwhile handed their processes back (stopped, being closed).
      await source.close()
      await stopAll()
    },
  }
}
