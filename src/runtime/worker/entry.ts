/**
 * The edge front door on Cloudflare Workers: the same app, with API keys from bindings and runs
 * forwarded to Node runner hosts. Health, models (cached from a host), auth, validation and
 * OpenAPI are answered here; only runs travel.
 *
 * Bindings: RUNNER_URLS (comma-separated), RUNNER_TOKEN (secret), API_KEY_HASHES (secret,
 * comma-separated SHA-256 hashes), KEYS (optional KV: key hash → {"name","policy"}),
 * API_AUTH_DISABLED ("1" to run open), LOG_LEVEL, CORS_ORIGINS (comma-separated browser origins),
 * ASSETS (the static-assets binding holding the chat page, `dist/web`), KEY_USAGE (the Durable
 * Object namespace of per-key usage, stored Responses, background ones' events, thread replies,
 * waiting runs' places and kept sessions' transcripts; without it each isolate keeps its own),
 * USAGE_LEASE_MS, and OpenTelemetry's standard variables for tracing (tracing.ts).
 */

import { createRemoteRunner } from '../../adapters/remote/remote-runner.js'
import { type App, createApp } from '../../app.js'
import type { ClaudeRunner } from '../../contract/runner.js'
import { isClaudeError, RunnerUnavailableError } from '../../errors/index.js'
import { toErrorBody } from '../../http/dialect.js'
import { createLogger } from '../../lib/logger.js'
import { type AssetsBinding, bindingAssets } from './assets.js'
import { readWorkerSettings } from './config.js'
import { createDurableBackgroundLog } from './durable-background-log.js'
import { createDurableParking } from './durable-parking.js'
import { createDurableResponseStore } from './durable-response-store.js'
import { createDurableSessionArchive } from './durable-session-archive.js'
import { createDurableThreadReplies } from './durable-thread-replies.js'
import { bindingsKeySource, type KeyValueStore } from './keys.js'
import { createWorkerTracing, OTEL_BINDINGS, type OtelBindings, otelBindingsOf } from './tracing.js'
import { createDurableUsageStore, type UsageNamespace } from './usage.js'

// The Durable Object class must be exported by the Worker's main module.
export { KeyUsageObject } from './key-usage-object.js'

export type WorkerEnv = OtelBindings & {
  RUNNER_URLS?: string
  RUNNER_TOKEN?: string
  API_KEY_HASHES?: string
  API_AUTH_DISABLED?: string
  LOG_LEVEL?: string
  CORS_ORIGINS?: string
  KEYS?: KeyValueStore
  ASSETS?: AssetsBinding
  KEY_USAGE?: UsageNamespace
  USAGE_LEASE_MS?: string
}

const unconfigured: ClaudeRunner = {
  run: () => {
    throw new RunnerUnavailableError('No runner hosts are configured (RUNNER_URLS)')
  },
  status: async () => {
    throw new RunnerUnavailableError('No runner hosts are configured (RUNNER_URLS)')
  },
  models: async () => {
    throw new RunnerUnavailableError('No runner hosts are configured (RUNNER_URLS)')
  },
}

/** The app for these bindings; a ConfigError (naming the setting) when one is bad. */
export const createWorkerApp = (env: WorkerEnv): App => {
  const settings = readWorkerSettings(env)
  const urls = settings.RUNNER_URLS
  const logger = createLogger(settings.LOG_LEVEL)
  return createApp({
    tracing: createWorkerTracing(otelBindingsOf(env)),
    corsOrigins: settings.CORS_ORIGINS,
    runner: urls.length
      ? createRemoteRunner({
          urls,
          token: settings.RUNNER_TOKEN,
          logger,
          ...(env.KEY_USAGE && { sessions: createDurableSessionArchive(env.KEY_USAGE) }),
        })
      : unconfigured,
    keys: bindingsKeySource(env.KEYS, settings, logger),
    logger,
    ...(env.ASSETS && { webAssets: bindingAssets(env.ASSETS) }),
    ...(env.KEY_USAGE && {
      usage: createDurableUsageStore(env.KEY_USAGE, {
        leaseMs: settings.USAGE_LEASE_MS || undefined,
      }),
      responseStore: createDurableResponseStore(env.KEY_USAGE),
      backgroundLog: createDurableBackgroundLog(env.KEY_USAGE),
      threadReplies: createDurableThreadReplies(env.KEY_USAGE),
      parking: createDurableParking(env.KEY_USAGE),
    }),
  })
}

// One app per set of bindings, so runner host health survives between requests of an isolate;
// a change of bindings builds a new one.
const apps = new Map<string, App>()
const appFor = (env: WorkerEnv) => {
  const id = JSON.stringify([
    env.RUNNER_URLS,
    env.RUNNER_TOKEN,
    env.API_KEY_HASHES,
    env.API_AUTH_DISABLED,
    env.LOG_LEVEL,
    env.CORS_ORIGINS,
    Boolean(env.KEYS),
    Boolean(env.ASSETS),
    Boolean(env.KEY_USAGE),
    env.USAGE_LEASE_MS,
    ...OTEL_BINDINGS.map((name) => env[name]),
  ])
  let app = apps.get(id)
  if (!app) {
    app = createWorkerApp(env)
    apps.clear()
    apps.set(id, app)
  }
  return app
}

export default {
  fetch: (request: Request, env: WorkerEnv, ctx?: Parameters<App['fetch']>[2]) => {
    let app: App
    try {
      app = appFor(env)
    } catch (error) {
      // Bad bindings: every request says which, as the Node server would at its start.
      if (!isClaudeError(error)) throw error
      return Response.json(toErrorBody(error), { status: error.status })
    }
    return app.fetch(request, env, ctx)
  },
}
