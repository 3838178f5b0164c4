/**
 * The Node entry: the API server (`startServer`) and the runner host (`startRunnerHost`), each
 * with the local CLI runner and a shutdown that leaves no CLI process behind.
 */

import { resolve } from 'node:path'
import { createNodeRunner, type NodeRunnerOptions } from '../../adapters/node/runner.js'
import {
  defaultWorkDir,
  RunnerSettings,
  type RunnerSettingsInput,
  resolveSettings,
} from '../../adapters/node/settings.js'
import { createRemoteRunner } from '../../adapters/remote/remote-runner.js'
import { createApp } from '../../app.js'
import type { ClaudeRunner } from '../../contract/runner.js'
import { ConfigError } from '../../errors/index.js'
import { isLoopback } from '../../lib/addresses.js'
import type { Clock } from '../../lib/clock.js'
import { createLogger, type Logger } from '../../lib/logger.js'
import { createRunnerHostApp } from '../../runner-protocol/host.js'
import type { UsageStore } from '../../usage/store.js'
import { createDirectoryAssets } from './assets.js'
import {
  assertSafeBind,
  DEFAULT_KEYS_FILE,
  DEFAULT_PORT,
  loginFiles,
  type ServerConfig,
  usageDbIn,
} from './config.js'
import { ASSETS_PREFIX, createDocsAssets } from './docs-assets.js'
import { listen, type RunningServer } from './listen.js'
import { createLoginStore } from './logins/login-store.js'
import { createSelfLogins } from './logins/self-logins.js'
import { createMetrics } from './metrics.js'
import { openSharedState } from './postgres/shared-state.js'
import { openServerKeys } from './server-keys.js'
import { createServerTracing, type OtelEnv, type ServerTracing } from './tracing.js'
import { createSqliteUsageStore } from './usage.js'

export type { RunningServer }

/** How often a front door checks its runner hosts (a restarted one takes runs within it). */
const PROBE_EVERY_MS = 2_000

export type ServerOptions = Partial<ServerConfig> & {
  /** Use this runner instead of a local CLI runner built from the options. */
  runner?: ClaudeRunner & { close?(graceMs?: number): Promise<void> }
  /** Extra options for the local runner (binary, env, …). */
  runnerOptions?: NodeRunnerOptions
  logger?: Logger
  /** Where the chat page's built files are; default the package's `dist/web`. */
  webDir?: string
  /** Use this usage store instead of the SQLite file (`usageDb`). */
  usage?: UsageStore
  /** What time it is for the keys file's check (tests move it on instead of sleeping). */
  clock?: Clock
  /** OpenTelemetry's standard variables (`OTEL_*`, tracing.ts); default `process.env`. */
  otelEnv?: OtelEnv
}

const usageDbOf = (options: ServerOptions) =>
  resolve(options.usageDb ?? usageDbIn(options.workDir ?? defaultWorkDir()))

const openUsageDb = (path: string) => {
  try {
    return createSqliteUsageStore(path)
  } catch (error) {
    throw new ConfigError(
      `the usage database ${path} cannot be used (USAGE_DB): ${(error as Error).message}`
    )
  }
}

/** A kept session's bounds, as the server's settings have them (hosts keep the same). */
const sessionBoundsOf = (options: ServerOptions) => {
  const settings = resolveSettings(runnerSettingsOf(options))
  return {
    ttlMs: settings.sessionTtlMs,
    maxPerOwner: settings.maxSessionsPerKey,
    maxBytes: settings.maxSessionMb * 1024 * 1024,
  }
}

/** The runner's own settings among the server's options (settings.ts names them). */
const runnerSettingsOf = (options: ServerOptions) =>
  Object.fromEntries(
    Object.keys(RunnerSettings.entries).map((key) => [key, options[key as keyof ServerOptions]])
  ) as RunnerSettingsInput

const localRunner = (options: ServerOptions, logger: Logger, traced?: ServerTracing) => {
  const logins = loginFiles(options)
  return createNodeRunner({
    ...(traced && { tracing: traced.tracing, telemetry: traced.cli }),
    ...runnerSettingsOf(options),
    allowedTools: options.allowedTools,
    passEnv: options.passEnv,
    sandboxEgress: options.sandboxEgress,
    workDir: options.workDir,
    // What a sandboxed command must not read: keys, usage, and the sealed logins and their secret.
    hiddenPaths: [
      resolve(options.keysFile ?? DEFAULT_KEYS_FILE),
      ...['', '-wal', '-shm'].map((suffix) => usageDbOf(options) + suffix),
      logins.file,
      logins.secret.file,
    ],
    logins: createLoginStore(logins),
    logger,
    ...options.runnerOptions,
  })
}

export const startServer = async (options: ServerOptions = {}): Promise<RunningServer> => {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info')
  const hostname = options.host ?? '127.0.0.1'
  const traced = createServerTracing(options.otelEnv ?? process.env)
  const shared = options.databaseUrl
    ? await openSharedState(options.databaseUrl, {
        leaseMs: options.databaseLeaseMs,
        sessions: sessionBoundsOf(options),
        logger,
      })
    : undefined
  const keys = await openServerKeys(options, shared?.db, logger)
  const initialKeys = keys.initial
  assertSafeBind(hostname, initialKeys.enabled, Boolean(options.authDisabled))
  if (!initialKeys.enabled) {
    logger.warn(
      options.authDisabled
        ? 'auth disabled (API_AUTH_DISABLED)'
        : 'no API keys configured: open to this machine only',
      { host: hostname }
    )
  }
  const usage = options.usage ?? shared?.usage ?? openUsageDb(usageDbOf(options))
  // With runner hosts this is a front door: runs go to them, keys and usage stay here.
  const runner: ClaudeRunner & { close?(graceMs?: number): Promise<void> } =
    options.runner ??
    (options.runnerUrls?.length
      ? createRemoteRunner({
          urls: options.runnerUrls,
          token: options.runnerToken,
          logger,
          probeEveryMs: PROBE_EVERY_MS,
          sessions: shared?.sessions,
        })
      : localRunner(options, logger, traced))
  const app = createApp({
    runner,
    tracing: traced?.tracing,
    keys: keys.source,
    usage,
    ...(shared && {
      responseStore: shared.responseStore,
      backgroundLog: shared.backgroundLog,
      threadReplies: shared.threadReplies,
      parking: shared.parking,
    }),
    logger,
    maxBodyBytes: options.maxBodyBytes,
    heartbeatMs: options.heartbeatMs,
    corsOrigins: options.corsOrigins,
    metrics: createMetrics(runner),
    docsAssetsUrl: ASSETS_PREFIX,
    webAssets: createDirectoryAssets(options.webDir),
    loopbackOnly: isLoopback(hostname),
    toolWaitMs: options.toolWaitMs,
    // Key holders' own logins live where the CLI runs: not at a front door.
    ...(options.selfServiceLogins &&
      !options.runnerUrls?.length && {
        selfLogins: createSelfLogins({
          store: createLoginStore(loginFiles(options)),
          keysFile: options.keysFile ?? DEFAULT_KEYS_FILE,
          refreshKeys: () => keys.refresh(),
        }),
      }),
  })
  const assets = createDocsAssets()
  const fetch = (request: Request) =>
    new URL(request.url).pathname.startsWith(`${ASSETS_PREFIX}/`)
      ? assets.fetch(request)
      : app.fetch(request)

  return listen(fetch, hostname, options.port ?? DEFAULT_PORT, logger, async () => {
    await runner.close?.(options.shutdownGraceMs)
    await usage.close?.()
    await keys.close()
    await shared?.close()
    await traced?.shutdown()
  })
}

export type RunnerHostServerOptions = Omit<
  ServerOptions,
  'keysFile' | 'apiKeyHashes' | 'authDisabled'
> & {
  /** RUNNER_TOKEN; required unless the host listens on loopback only. */
  token?: string
}

/** A runner host: this machine's CLI, served to front doors over the runner protocol. */
export const startRunnerHost = async (
  options: RunnerHostServerOptions = {}
): Promise<RunningServer> => {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info')
  const hostname = options.host ?? '127.0.0.1'
  if (!options.token && !isLoopback(hostname)) {
    throw new ConfigError(
      `refusing to run a runner host on ${hostname} without a token: set RUNNER_TOKEN (a long random string, the same on the front door)`
    )
  }
  const traced = createServerTracing(options.otelEnv ?? process.env)
  const runner = options.runner ?? localRunner(options, logger, traced)
  let draining = false
  const app = createRunnerHostApp({
    runner,
    tracing: traced?.tracing,
    token: options.token,
    logger,
    loopbackOnly: isLoopback(hostname),
    draining: () => draining,
  })
  const server = await listen(app.fetch, hostname, options.port ?? 7743, logger, async () => {
    await runner.close?.(options.shutdownGraceMs)
    await traced?.shutdown()
  })
  return {
    ...server,
    // Draining: no new run from now on (front doors move on); those in flight may finish
    // within the grace period.
    close: () => {
      draining = true
      return server.close()
    },
  }
}
